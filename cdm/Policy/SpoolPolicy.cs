namespace CoreDump.Cdm.Policy;

/// <summary>How much of a core a capture may hold uncompressed in memory (ChunkSpool) while its compressors
/// catch up with the pipe. Pure decisions, no I/O.</summary>
internal static class SpoolPolicy
{
    /// <summary>The most one capture spools.</summary>
    public const long MaxSpoolBytes = 1L << 30;

    /// <summary>One capture's budget: at most <see cref="MaxSpoolBytes"/> and an eighth of the machine's memory.</summary>
    public static long Budget(long memoryTotalBytes) => Math.Max(0, Math.Min(MaxSpoolBytes, memoryTotalBytes / 8));

    /// <summary>Whether a spool may take <paramref name="chunkBytes"/> more of memory now: only while a quarter
    /// of the machine's memory stays available (MemAvailable, which already lacks what every capture has
    /// spooled). However many captures spool at once, together they never take that quarter; without swap their
    /// pages cannot be written out, so this floor is what keeps a crash storm from pressing the machine.</summary>
    public static bool MayGrow(long memoryAvailableBytes, long memoryTotalBytes, long chunkBytes) =>
        memoryAvailableBytes - chunkBytes >= memoryTotalBytes / 4;
}
