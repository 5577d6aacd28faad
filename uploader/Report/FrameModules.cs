using System.Globalization;
using System.Text;
using CoreDump.Uploader.Analysis;

namespace CoreDump.Uploader.Report;

/// <summary>Places each frame in its module (path, build-id, offset from the load address) using the core's own
/// NT_FILE mappings and module headers, read in the analysis sandbox: gdb's text is not needed and cannot forge
/// them. With the build-id a frame can be symbolized anywhere later (debuginfod, a symbol store), and a frame
/// without a symbol still gives a stable signature.</summary>
internal static class FrameModules
{
    /// <summary>The key of the report section <see cref="Text"/> fills.</summary>
    public const string SectionKey = "modframes";
    public const string Title = "frames by module";

    public static List<GdbFrame> Annotate(IReadOnlyList<GdbFrame> frames, IReadOnlyList<FileMapping> files, IReadOnlyList<ModuleId> modules) =>
        frames.Select(f => f with { Module = Locate(f.Address, files, modules) }).ToList();

    /// <summary>The module holding <paramref name="address"/>: the mapping that holds it names the file; the
    /// module is that file's mapping from offset 0 at or below the address (the nearest, when it is mapped twice).</summary>
    public static FrameModule? Locate(ulong? address, IReadOnlyList<FileMapping> files, IReadOnlyList<ModuleId> modules)
    {
        if (address is not ulong a || files.FirstOrDefault(m => a >= m.Start && a < m.End) is not { } map) return null;
        ModuleId? best = null;
        foreach (var m in modules)
            if (m.Path == map.Path && m.Start <= a && (best is null || m.Start > best.Start)) best = m;
        if (best is null) return new FrameModule(map.Path, null, a - map.Start + map.Offset);
        // only what the readers produce reaches a signature: anything else is no build-id
        return new FrameModule(best.Path, CoreInspection.IsBuildId(best.BuildId) ? best.BuildId : null, a - best.Start);
    }

    /// <summary>The report's "frames by module" section: one line per frame.</summary>
    public static string Text(IReadOnlyList<GdbFrame> frames)
    {
        var sb = new StringBuilder();
        foreach (var f in frames)
        {
            sb.Append('#').Append(f.Level.ToString(CultureInfo.InvariantCulture)).Append("  ");
            sb.Append(f.Address is ulong a ? $"0x{a:x16}" : "(no address)".PadRight(18)).Append("  ");
            sb.Append(f.Module?.Key ?? "(no module)").Append("  ").Append(f.Function).Append('\n');
        }
        return sb.ToString();
    }
}
