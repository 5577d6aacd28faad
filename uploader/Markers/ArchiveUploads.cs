namespace CoreDump.Uploader.Markers;

/// <summary>The marker's `archive_upload`: what became of the archive itself (docs/crashdb-protocol.md).</summary>
internal static class ArchiveUploads
{
    /// <summary>Sent in the same request as the report (`archive = "always"`).</summary>
    public const string WithReport = "with_report";
    /// <summary>The report is delivered and its server asked for the archive, which is not uploaded yet: the
    /// archive stays `processed` and only the archive is tried again.</summary>
    public const string Wanted = "wanted";
    /// <summary>Uploaded on the server's request.</summary>
    public const string Uploaded = "uploaded";
    /// <summary>The server did not ask for it (or its answer could not be read as asking).</summary>
    public const string NotRequested = "not_requested";
    /// <summary>Asked for, then refused permanently by the server (or no longer sendable); the report stays delivered.</summary>
    public const string Refused = "refused";

    public static bool IsAwaited(MarkerInfo m) => m.ArchiveUpload == Wanted && m.DeliveredTo is not null;

    /// <summary>For `info` and `list`: one phrase.</summary>
    public static string? Describe(MarkerInfo m) => m.ArchiveUpload switch
    {
        null => null,
        WithReport => "sent with the report",
        Wanted => "requested by the server, not uploaded yet",
        Uploaded => "uploaded on the server's request",
        NotRequested => "not requested by the server",
        Refused => "requested, then refused by the server",
        var other => other,
    };
}
