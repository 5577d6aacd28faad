namespace CoreDump.Uploader;

/// <summary>The counts of one pass, printed as one line.</summary>
internal sealed class RunSummary
{
    public int Processed, Submitted, Failed, Rejected, Waiting, Skipped;
    /// <summary>Two-stage delivery: archives uploaded on their server's request, and archives it then refused.</summary>
    public int ArchivesUploaded, ArchivesRefused;
    public bool TimeLimitReached;
    /// <summary>Directories under corepath that could not be read (refused or unreadable).</summary>
    public readonly HashSet<string> Problems = [];

    public override string ToString() => ToString("run");

    public string ToString(string verb) =>
        $"uploader {verb}: processed {Processed}, submitted {Submitted}, failed {Failed}, rejected {Rejected}, waiting {Waiting}" +
        (ArchivesUploaded > 0 ? $", archives uploaded on request {ArchivesUploaded}" : "") +
        (ArchivesRefused > 0 ? $", archives refused {ArchivesRefused}" : "") +
        (TimeLimitReached ? ", stopped at run_timeout_seconds (the rest waits for the next run)" : "");
}
