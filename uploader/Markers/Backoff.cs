namespace CoreDump.Uploader.Markers;

/// <summary>Exponential backoff with jitter, stored on disk as the marker's next_attempt.</summary>
internal static class Backoff
{
    public const long BaseSeconds = 60;
    public const long MaxSeconds = 6 * 3600;
    public const long MaxRetryAfterSeconds = 24 * 3600;

    /// <summary>The nominal delay after the <paramref name="attempts"/>-th failure: 60 s, 120 s, 240 s, ... capped at 6 h.</summary>
    public static long NominalDelay(int attempts)
    {
        if (attempts <= 0) return 0;
        int shift = Math.Min(attempts - 1, 20);
        return Math.Min(MaxSeconds, BaseSeconds << shift);
    }

    /// <summary>"Equal jitter": half the nominal delay plus a random part of the other half
    /// (<paramref name="random01"/> in [0,1)), so a fleet that failed together does not retry together.
    /// A server's Retry-After is honoured: the delay is never shorter than it (capped at 24 h).</summary>
    public static long Delay(int attempts, double random01, long? retryAfterSeconds = null)
    {
        long nominal = NominalDelay(attempts);
        long jittered = nominal / 2 + (long)(Math.Clamp(random01, 0, 1) * (nominal - nominal / 2));
        long floor = Math.Min(Math.Max(retryAfterSeconds ?? 0, 0), MaxRetryAfterSeconds);
        return Math.Max(jittered, floor);
    }

    public static bool IsDue(MarkerInfo m, long now) => m.NextAttempt is not long next || next <= now;
}
