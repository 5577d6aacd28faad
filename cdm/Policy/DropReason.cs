using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>Why a crash was recorded without its core (metadata <c>drop_reason</c> of a drop record).</summary>
internal static class DropReason
{
    public const string Excluded = "excluded";
    public const string RlimitCore = "rlimit_core";
    public const string NotDumpable = "not_dumpable";
    public const string RateLimited = "rate_limited";
    public const string DiskGuard = "disk_guard";
    public const string Error = "error";

    /// <summary>Below this RLIMIT_CORE (one page) no core is stored, like systemd-coredump.</summary>
    public const long PageSize = 4096;

    /// <summary>Free space a drop record must leave on the corepath filesystem: it is small, but it is
    /// never what fills a disk.</summary>
    public const long FreeSpaceFloor = 4L << 20;

    public readonly record struct OptOut(string Reason, string Detail);

    /// <summary>The crashed process's own opt-outs (%d, %c), as the kernel reported them. Null: capture.</summary>
    /// <param name="dumpable">%d: 0 not dumpable, 1 dumpable, 2 suidsafe</param>
    /// <param name="coreLimit">%c: RLIMIT_CORE soft limit (ulong.MaxValue for unlimited)</param>
    public static OptOut? FromProcess(int? dumpable, ulong? coreLimit)
    {
        if (dumpable == 0)
            return new(NotDumpable, "the process is not dumpable (%d = 0: it changed credentials or called prctl(PR_SET_DUMPABLE, 0)); its core is not stored");
        if (coreLimit is ulong c && c < PageSize)
            return new(RlimitCore, string.Create(CultureInfo.InvariantCulture,
                $"the process set RLIMIT_CORE to {c} bytes (below one page): it asked for no core, so none is stored"));
        return null;
    }

    /// <summary>The size RLIMIT_CORE allows (a page or more), or 0 for no limit.</summary>
    public static long CoreLimitBytes(ulong? coreLimit) =>
        coreLimit is ulong c && c >= PageSize && c < long.MaxValue ? (long)c : 0;

    /// <summary>The stricter of two size limits, 0 meaning none.</summary>
    public static long Stricter(long a, long b) => a <= 0 ? Math.Max(b, 0) : b <= 0 ? a : Math.Min(a, b);

    public static bool MayWriteDropRecord(long fsAvailable) => fsAvailable >= FreeSpaceFloor;
}
