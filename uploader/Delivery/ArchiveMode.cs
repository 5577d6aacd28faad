namespace CoreDump.Uploader.Delivery;

/// <summary>When a [[server]] gets the archive (the .core.tar.gz): never, with every report, or only when the
/// crash database asks for it in its answer to the report (docs/crashdb-protocol.md).</summary>
internal enum ArchiveMode { Never, Always, OnRequest }

internal static class ArchiveModes
{
    public const string NeverName = "never", AlwaysName = "always", OnRequestName = "on_request";

    /// <summary>The mode a server's `archive` key (new) and `upload_archive` key (older bool) give together;
    /// neither set is "never". Returns null with <paramref name="refusal"/> for an unknown value, or for both keys
    /// set to different modes (which one the admin meant cannot be known).</summary>
    public static ArchiveMode? Resolve(string? archive, bool? uploadArchive, out string? refusal)
    {
        refusal = null;
        ArchiveMode? fromBool = uploadArchive switch { true => ArchiveMode.Always, false => ArchiveMode.Never, null => null };
        if (archive is null) return fromBool ?? ArchiveMode.Never;
        ArchiveMode? named = archive switch
        {
            NeverName => ArchiveMode.Never,
            AlwaysName => ArchiveMode.Always,
            OnRequestName => ArchiveMode.OnRequest,
            _ => null,
        };
        if (named is null)
        {
            refusal = $"archive must be \"{NeverName}\", \"{AlwaysName}\" or \"{OnRequestName}\", not '{archive}'";
            return null;
        }
        if (fromBool is { } b && b != named)
        {
            refusal = $"archive = \"{archive}\" contradicts upload_archive = {(uploadArchive == true ? "true" : "false")}; keep only archive";
            return null;
        }
        return named;
    }

    /// <summary>The mode of a server whose configuration passed <see cref="Resolve"/> (ConfigLoader).</summary>
    public static ArchiveMode Of(Config.ServerConfig s) => Resolve(s.Archive, s.UploadArchive, out _) ?? ArchiveMode.Never;
}
