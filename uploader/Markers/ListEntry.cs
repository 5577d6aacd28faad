namespace CoreDump.Uploader.Markers;

/// <summary>One row of `uploader list` (and its --json form, snake_case keys).</summary>
internal record ListEntry
{
    public string Archive { get; init; } = "";
    public string Path { get; init; } = "";
    public string Daemon { get; init; } = "";
    public int Slot { get; init; }
    public long Time { get; init; }
    public string State { get; init; } = "";
    public long Size { get; init; }
    public int? Signal { get; init; }
    public string? SignalName { get; init; }
    public string? Signature { get; init; }
    public string? ReportId { get; init; }
    public int Attempts { get; init; }
    public long? NextAttempt { get; init; }
    public string? LastError { get; init; }
    public bool HasReport { get; init; }
    /// <summary>The marker's archive_upload (two-stage delivery), or null.</summary>
    public string? ArchiveUpload { get; init; }
}
