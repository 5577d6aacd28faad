namespace CoreDump.Cdm.Slots;

/// <summary>The design's rotation rule: with maxcore = N the first N-1 crashes keep slots 1..N-1 and every
/// later crash takes slot N, replacing its previous occupant. maxcore = 0 keeps nothing.</summary>
internal static class SlotPolicy
{
    /// <summary>Returns the slot for a new capture, or 0 when nothing is to be kept.</summary>
    /// <param name="maxcore">configured maximum per daemon</param>
    /// <param name="taken">slots held by published archives and by captures still in flight</param>
    public static int Choose(int maxcore, IReadOnlyCollection<int> taken)
    {
        if (maxcore <= 0) return 0;
        for (int slot = 1; slot < maxcore; slot++)
            if (!taken.Contains(slot)) return slot;
        return maxcore;
    }

    /// <summary>At publish time: does a new archive for the last slot replace the one already there?
    /// The later crash wins; on equal times the one published last wins.</summary>
    public static bool Replaces(long newCrashTime, long occupantCrashTime) => newCrashTime >= occupantCrashTime;
}
