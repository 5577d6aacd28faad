
namespace CoreDump.Cdm.Policy;

/// <summary>The disk guards of core_file.conf as a pure decision: may a capture that has written
/// <c>written</c> bytes so far go on? Returns null to go on, or the reason to stop.</summary>
internal static class DiskGuardPolicy
{
    /// <summary>Whether a spool may grow to <paramref name="spoolBytesAfter"/>, judged on the free space measured
    /// last: only while the space above keepfree is at least four times that. Every spooled byte may still
    /// become an archive byte (the guard counts them as pending), so a spool never grows into the space the
    /// guard needs to admit the archive.</summary>
    public static bool MaySpool(long fsAvailable, long keepBytes, long spoolBytesAfter) =>
        fsAvailable - keepBytes >= 4 * spoolBytesAfter;

    /// <param name="fsSize">size of the corepath filesystem in bytes</param>
    /// <param name="fsAvailable">bytes available on it (f_bavail × f_frsize)</param>
    /// <param name="usage">bytes of the published archives under corepath, not counting the one this capture replaces</param>
    /// <param name="written">bytes this capture's temporary holds so far (already included in fsAvailable)</param>
    /// <param name="pending">bytes that may still reach the file before the next check (chunks in flight, the
    /// next read): counted against keepfree as if written, so free space holds between two checks too.
    /// maxuse is an accounting cap on what is written and may be passed by up to that much.</param>
    public static string? Check(CoreFileConfig config, long fsSize, long fsAvailable, long usage, long written, long pending = 0)
    {
        long keep = config.KeepFree.ResolveBytes(fsSize);
        if (keep > 0 && fsAvailable - pending < keep)
            return $"free space on the corepath filesystem would fall to {fsAvailable - pending} bytes, below keepfree={config.KeepFree} ({keep} bytes)";
        if (config.MaxUse > 0 && usage + written > config.MaxUse)
            return $"archives under corepath would use {usage + written} bytes, above maxuse={SizeValue.Format(config.MaxUse)}";
        return null;
    }
}
