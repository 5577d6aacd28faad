using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Policy;
using CoreDump.Cdm.Slots;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm.Archive;

/// <summary>Applies <see cref="DiskGuardPolicy"/> to the real filesystem: before a capture starts and every
/// few MiB while it streams. Nothing is evicted to make room (docs/config.md). Usage of all archives is
/// looked at only when maxuse is set, and then through the kept total (<see cref="KeptUsage"/>).</summary>
internal sealed class DiskGuard
{
    /// <summary>Longest wait for the kept total's lock (held by other captures only, for a rescan at most).</summary>
    public static readonly TimeSpan UsageLockWait = TimeSpan.FromSeconds(5);

    private readonly CoreFileConfig _config;
    private readonly SafeDirectory _corepath;
    private readonly SafeFileHandle _temp;
    private readonly long _replaced;
    private long _usage;
    private bool _usageExact;
    // from the last check (-1: not measured): what MaySpool judges by
    private long _lastAvailable = -1, _lastKeep;

    public DiskGuard(CoreFileConfig config, SafeDirectory corepath, SafeFileHandle temp, long usage, bool usageExact = true, long replaced = 0)
    {
        (_config, _corepath, _temp, _usage, _usageExact, _replaced) = (config, corepath, temp, usage, usageExact, replaced);
    }

    /// <summary>The guard for a capture into <paramref name="daemon"/>'s <paramref name="slot"/>. With maxuse=0
    /// nothing under corepath is listed; otherwise the kept total is read (rescanned when stale) and the
    /// archive this capture will replace is left out.</summary>
    public static DiskGuard Open(CoreFileConfig config, SafeDirectory corepath, SafeFileHandle temp, string daemon, int slot)
    {
        if (config.MaxUse <= 0) return new DiskGuard(config, corepath, temp, 0);
        long replaced = SlotBytes(corepath, daemon, slot);
        var (total, exact) = ReadOrRescan(corepath, forceRescan: false);
        return new DiskGuard(config, corepath, temp, Math.Max(0, total - replaced), exact, replaced);
    }

    /// <summary>Bytes of published archives under corepath, leaving out the slot this capture will replace
    /// (a full scan: only for a rescan of the kept total).</summary>
    public static long MeasureUsage(SafeDirectory corepath, string daemon, int slot)
    {
        long total = 0;
        foreach (var d in corepath.List().Where(DaemonName.LooksSafe))
        {
            using var dir = corepath.OpenChild(d, 0, create: false, out _);
            if (dir is null) continue;
            foreach (var f in dir.List())
            {
                if (ArchiveName.Parse(f, d) is not { } a || (d == daemon && a.Slot == slot && !a.Drop)) continue;
                if (dir.TryStat(f, out var st) && st.IsRegular) total += st.Size;
            }
        }
        return total;
    }

    /// <summary>Most bytes that can reach the archive after a check and before the next one: the chunks in
    /// flight, the one being filled, and one check interval of input (stored chunks grow by under 0.1%).</summary>
    public const long InFlightBound = (ChunkedGzipWriter.MaxInFlight + 2L) * ChunkedGzipWriter.DefaultChunkSize + GuardedInput.Interval;

    /// <summary>The capture's spool, if any: what it holds may still become archive bytes, and it grows only
    /// while <see cref="MaySpool"/> agrees.</summary>
    public ChunkSpool? Spool
    {
        get => _spool;
        set { _spool = value; if (value is not null) value.MayGrow = MaySpool; }
    }

    private ChunkSpool? _spool;

    /// <summary>Whether the spool may grow to <paramref name="spoolBytesAfter"/>: <see cref="DiskGuardPolicy.MaySpool"/>
    /// on the free space measured by the last check, and <see cref="SpoolPolicy.Budget"/> and
    /// <see cref="SpoolPolicy.MayGrow"/> on the machine's memory, read when the spool first grows and again every
    /// <see cref="MemoryRecheckBytes"/> (a spool that cannot read it stops; a capture that never spools never
    /// reads it).</summary>
    public bool MaySpool(long spoolBytesAfter)
    {
        if (_lastAvailable >= 0 && !DiskGuardPolicy.MaySpool(_lastAvailable, _lastKeep, spoolBytesAfter)) return false;
        if (_memory is null || spoolBytesAfter - _memoryReadAt >= MemoryRecheckBytes)
        {
            _memory = HostFacts.Memory();
            _memoryReadAt = spoolBytesAfter;
        }
        return _memory is { } m && spoolBytesAfter <= SpoolPolicy.Budget(m.TotalBytes)
            && SpoolPolicy.MayGrow(m.AvailableBytes, m.TotalBytes, chunkBytes: spoolBytesAfter - _memoryReadAt);
    }

    /// <summary>How much the spool grows between two readings of /proc/meminfo.</summary>
    public const long MemoryRecheckBytes = 8L << 20;

    private HostFacts.MemoryFigures? _memory;
    private long _memoryReadAt;

    /// <param name="bytesRead">input read so far: nothing beyond it can be pending</param>
    public void Check(long bytesRead = 0) =>
        Evaluate(pending: Math.Min(bytesRead, InFlightBound + (Spool?.BytesSpooled ?? 0)) + GuardedInput.Interval, archiveBytes: null);

    /// <summary>The last check, once the archive is complete and before it is published: nothing is pending any
    /// more. While the core streamed, chunks set aside in the spool were not yet archive bytes, so only this
    /// check sees the archive's real size against maxuse and keepfree. (Close the spool first: its space is
    /// about to return.) The archive counts with its length, as the published archives of the kept total do.</summary>
    public void CheckFinished(long archiveBytes) => Evaluate(pending: 0, archiveBytes);

    /// <param name="archiveBytes">the finished archive's length; null while streaming, when what is written so
    /// far counts by its allocated blocks (which include space reserved for data not yet on the disk)</param>
    private void Evaluate(long pending, long? archiveBytes)
    {
        Posix.StatVfs vfs;
        try { vfs = Posix.FstatVfs(_corepath.Handle, _corepath.Path); }
        catch (PosixException) { return; } // nothing to measure by: the capture goes on unguarded, as with no limits set
        long fsSize = vfs.TotalBytes, available = vfs.AvailableBytes;
        (_lastAvailable, _lastKeep) = (available, _config.KeepFree.ResolveBytes(fsSize));
        long written = archiveBytes ?? 0;
        try { if (archiveBytes is null) written = Posix.Fstat(_temp).Blocks * Posix.S_BLKSIZE; }
        catch (PosixException) { } // counted as nothing written yet: the free space still reflects it
        var reason = DiskGuardPolicy.Check(_config, fsSize, available, _usage, written, pending);
        if (reason is not null && !_usageExact)
        {
            // The kept total would refuse: make sure with a rescan (archives removed by the uploader or an
            // administrator leave it too high), then decide again.
            var (total, _) = ReadOrRescan(_corepath, forceRescan: true);
            (_usage, _usageExact) = (Math.Max(0, total - _replaced), true);
            reason = DiskGuardPolicy.Check(_config, fsSize, available, _usage, written, pending);
        }
        if (reason is not null) throw new RefusedException(reason);
    }

    /// <summary>Adds a published archive of <paramref name="archiveBytes"/> to the kept total (minus the
    /// archive it replaced). Only with maxuse set; best effort: a rescan repairs what is missed.</summary>
    public void Published(long archiveBytes)
    {
        if (_config.MaxUse <= 0) return;
        using var held = PrivateLock.Take(_corepath.Handle, KeptUsage.LockName, UsageLockWait);
        if (held is null) return;
        if (KeptUsage.Parse(ReadSmall(_corepath, KeptUsage.FileName)) is not { } kept) return;
        Write(_corepath, kept.Add(archiveBytes, _replaced));
    }

    /// <summary>The kept total and whether it was just measured. Rescans (under the lock) when it is missing,
    /// unreadable, stale or <paramref name="forceRescan"/>; without the lock in time, scans without storing.</summary>
    private static (long Total, bool Exact) ReadOrRescan(SafeDirectory corepath, bool forceRescan)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var held = PrivateLock.Take(corepath.Handle, KeptUsage.LockName, UsageLockWait);
        if (!forceRescan && KeptUsage.Parse(ReadSmall(corepath, KeptUsage.FileName)) is { } kept && kept.IsFresh(now))
            return (kept.Total, false);
        long total = MeasureUsage(corepath, "", 0);
        if (held is not null) Write(corepath, new KeptUsage(total, now));
        return (total, true);
    }

    /// <summary>Size of the archive now in <paramref name="slot"/> of <paramref name="daemon"/> (the one a
    /// capture replaces), listing only that daemon's directory.</summary>
    private static long SlotBytes(SafeDirectory corepath, string daemon, int slot)
    {
        using var dir = corepath.OpenChild(daemon, 0, create: false, out _);
        if (dir is null) return 0;
        long bytes = 0;
        foreach (var f in dir.List())
            if (ArchiveName.Parse(f, daemon) is { Drop: false } a && a.Slot == slot && dir.TryStat(f, out var st) && st.IsRegular) bytes += st.Size;
        return bytes;
    }

    private static string? ReadSmall(SafeDirectory dir, string name)
    {
        if (!dir.TryStat(name, out var st) || !PrivateLock.IsPrivate(st, Posix.Geteuid())) return null;
        return dir.ReadSmall(name, 128) is { } bytes ? System.Text.Encoding.ASCII.GetString(bytes) : null;
    }

    /// <summary>Stores the kept total. A failure is ignored on purpose: the total is a cache, and a missing or
    /// stale one is rescanned by the next capture.</summary>
    private static void Write(SafeDirectory dir, KeptUsage usage)
    {
        try { dir.WriteAtomically(KeptUsage.FileName, System.Text.Encoding.ASCII.GetBytes(usage.Serialize()), FileModes.Mode0600, durable: false); }
        catch (IOException) { }
    }
}

/// <summary>The kernel's pipe with the capture's time cap (maxcapturetime, counted from cdm's start): a read
/// waits for the pipe only until the deadline; then it reports end of stream and <see cref="CutReason"/>
/// says why, so the core is cut there, not padded. Everything cdm reads from stdin goes through it, the
/// head read for the core's notes included, so a stalled dump can hold the crashed process no longer.</summary>
internal sealed class TimeCappedStdin(FileStream stdin, int maxSeconds) : ReadOnlyStream
{
    private readonly long _deadline = maxSeconds > 0 ? CdmClock.StartedAt + maxSeconds * 1000L : long.MaxValue;
    private long _total;

    public string? CutReason { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        if (CutReason is not null || !WaitReadable()) return 0;
        int n = stdin.Read(buffer);
        _total += n;
        return n;
    }

    /// <summary>False (and <see cref="CutReason"/> set) when the deadline passed before input arrived.</summary>
    private bool WaitReadable()
    {
        if (_deadline == long.MaxValue) return true;
        while (true)
        {
            long left = _deadline - Environment.TickCount64;
            if (left <= 0) break;
            try { if (Posix.PollReadable(stdin.SafeFileHandle, (int)Math.Min(left, int.MaxValue))) return true; }
            catch (PosixException) { return true; } // the read that follows reports the pipe's error
        }
        CutReason = $"capture time above maxcapturetime ({maxSeconds} s) after {_total} bytes; cut there";
        return false;
    }
}

/// <summary>The core's input with the disk guard consulted every <see cref="Interval"/> bytes; the time cap's
/// cut (<see cref="TimeCappedStdin"/>) is passed on to the archive writer.</summary>
internal sealed class GuardedInput(Stream inner, DiskGuard guard, TimeCappedStdin? timer) : ReadOnlyStream, ICappedInput
{
    public const long Interval = 1 << 20;
    private long _sinceCheck, _total;

    public string? CutReason => timer?.CutReason;

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _sinceCheck += n;
        _total += n;
        if (_sinceCheck >= Interval) { _sinceCheck = 0; guard.Check(_total); }
        return n;
    }
}
