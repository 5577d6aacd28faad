using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CoreDump.Uploader.Report;

/// <summary>A stable hash of executable + signal + the top frames of the crashing thread. Addresses and
/// arguments are left out; a frame without a symbol counts as module@build-id+offset (stable under ASLR,
/// different for another build).</summary>
internal static partial class CrashSignature
{
    public const int FrameCount = 5;

    /// <summary>Frames that say how the process died rather than where the bug is (libc's abort/assert
    /// machinery) and the start-up frames below main; both are skipped.</summary>
    private static readonly HashSet<string> Machinery = new(StringComparer.Ordinal)
    {
        "raise", "abort", "__GI_raise", "__GI_abort", "__pthread_kill_implementation", "__pthread_kill_internal",
        "pthread_kill", "__pthread_kill", "__GI___pthread_kill", "__assert_fail", "__assert_fail_base",
        "__GI___assert_fail", "__libc_message", "__libc_message_impl", "__fortify_fail", "__stack_chk_fail",
        "__chk_fail", "__libc_fatal", "__restore_rt",
        "__libc_start_call_main", "__libc_start_main", "__libc_start_main_impl", "__libc_start_main_alias_2",
        "_start", "start_thread", "clone", "clone3",
    };

    [GeneratedRegex(@"\.(constprop|isra|part|cold|lto_priv|localalias)(\.\d+)*")]
    private static partial Regex CloneSuffix();

    public sealed record Result(string Hash, IReadOnlyList<string> Frames);

    /// <summary>A drop record (no core, so no frames) hashes executable + signal + "drop:" + its reason instead.</summary>
    public static Result Compute(string executable, string? signal, IReadOnlyList<GdbFrame> frames, IReadOnlyList<GdbMapping> maps, string? dropReason = null)
    {
        var keys = dropReason is null ? SignatureFrames(frames, maps) : ["drop:" + dropReason];
        string exe = System.IO.Path.GetFileName(executable);
        string input = $"{exe}\n{signal ?? "unknown"}\n{string.Join('\n', keys)}";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input)))[..32];
        return new Result(hash, keys);
    }

    public static List<string> SignatureFrames(IReadOnlyList<GdbFrame> frames, IReadOnlyList<GdbMapping> maps)
    {
        int handler = frames.ToList().FindIndex(f => f.Function == GdbFrame.SignalHandlerCalled);
        var relevant = handler >= 0 ? frames.Skip(handler + 1) : frames;
        return relevant
            .Where(f => !f.Function.StartsWith('<'))
            .Select(f => FrameKey(f, maps))
            .Where(k => !Machinery.Contains(k))
            .Take(FrameCount)
            .ToList();
    }

    /// <summary>"func" (clone suffixes such as .constprop.0 dropped), else "module@buildid+0xoffset" (offset from
    /// the module's load address), else "module+0xoffset", else "??".</summary>
    public static string FrameKey(GdbFrame f, IReadOnlyList<GdbMapping> maps)
    {
        if (f.HasSymbol) return CloneSuffix().Replace(f.Function, "");
        if (f.Module is { } module) return module.Key;
        if (f.Address is ulong addr && maps.FirstOrDefault(m => addr >= m.Start && addr < m.End) is { } map)
            return $"{System.IO.Path.GetFileName(map.Objfile)}+0x{addr - map.Start + map.Offset:x}";
        if (f.Library is not null) return System.IO.Path.GetFileName(f.Library) + "+?";
        return "??";
    }
}
