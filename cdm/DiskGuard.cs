using CoreDump.Archive;
using CoreDump.Capture;
using CoreDump.Config;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm;

public sealed class DiskLimitException(string reason) : IOException(reason);

/// <summary>Applies <see cref="DiskGuardPolicy"/> to the real filesystem: before a capture starts and every
/// few MiB while it streams. Nothing is evicted to make room (docs/config.md).</summary>
public sealed class DiskGuard(CoreFileConfig config, SafeDirectory corepath, SafeFileHandle temp, long usage)
{
    /// <summary>Bytes of published archives under corepath, leaving out the slot this capture will replace.</summary>
    public static long MeasureUsage(SafeDirectory corepath, string daemon, int slot)
    {
        long total = 0;
        foreach (var d in corepath.List().Where(DaemonName.LooksSafe))
        {
            using var dir = corepath.OpenChild(d, 0, create: false, out _);
            if (dir is null) continue;
            foreach (var f in dir.List())
            {
                if (ArchiveName.Parse(f, d) is not { } a || (d == daemon && a.Slot == slot)) continue;
                if (dir.TryStat(f, out var st) && st.IsRegular) total += st.Size;
            }
        }
        return total;
    }

    /// <summary>Most bytes that can reach the archive after a check and before the next one: the chunks in
    /// flight, the one being filled, and one check interval of input (stored chunks grow by under 0.1%).</summary>
    public const long InFlightBound = (ChunkedGzipWriter.MaxInFlight + 2L) * ChunkedGzipWriter.DefaultChunkSize + GuardedInput.Interval;

    /// <param name="bytesRead">input read so far: nothing beyond it can be pending</param>
    public void Check(long bytesRead = 0)
    {
        if (!Posix.TryFstatVfs(corepath.Fd, out var vfs)) return;
        long fsSize = (long)(vfs.Blocks * vfs.FragmentSize), available = (long)(vfs.BlocksAvailable * vfs.FragmentSize);
        long written = Posix.TryFstat((int)temp.DangerousGetHandle(), out var st) ? st.Blocks * 512 : 0;
        long pending = Math.Min(bytesRead, InFlightBound) + GuardedInput.Interval;
        if (DiskGuardPolicy.Check(config, fsSize, available, usage, written, pending) is { } reason) throw new DiskLimitException(reason);
    }
}

/// <summary>stdin, with the disk guard consulted every <see cref="Interval"/> bytes.</summary>
public sealed class GuardedInput(Stream inner, DiskGuard guard) : Stream
{
    public const long Interval = 1 << 20;
    private long _sinceCheck, _total;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _sinceCheck += n;
        _total += n;
        if (_sinceCheck >= Interval) { _sinceCheck = 0; guard.Check(_total); }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
