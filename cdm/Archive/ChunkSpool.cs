using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm.Archive;

/// <summary>Where <see cref="ChunkedGzipWriter"/> sets chunks aside, uncompressed, while its compressors are
/// behind the pipe, so that the crashed process is released when the core is read rather than when it is
/// compressed. An anonymous file in memory (memfd_create): it has no name in any filesystem, touches no disk and
/// no filesystem journal (a spool in the page cache of the corepath's ext4 stalled the reader after idle
/// moments, docs/performance.md), and its memory returns when cdm closes it or dies. Bounded by a budget
/// (<see cref="Policy.SpoolPolicy.Budget"/>) and by the live checks of <see cref="MayGrow"/>; past them the
/// writer waits for its compressors.</summary>
internal sealed class ChunkSpool(SafeFileHandle file, long budget) : IDisposable
{
    private long _end, _reserved;

    /// <summary>Asked before the spool grows, with its size after the chunk (the disk guard's live check:
    /// <see cref="DiskGuard.MaySpool"/>); null: the budget alone decides.</summary>
    public Func<long, bool>? MayGrow { get; set; }

    /// <summary>Opens a spool, or null for a budget of 0 or when the kernel refuses an anonymous file (the
    /// capture then goes on without one, as before).</summary>
    public static ChunkSpool? Open(long budget)
    {
        if (budget <= 0) return null;
        try { return new ChunkSpool(Posix.MemfdCreate("cdm-spool"), budget); }
        catch (PosixException) { return null; }
    }

    public long Budget => budget;

    /// <summary>Bytes set aside so far (the spool's size at the end).</summary>
    public long BytesSpooled => _end;

    /// <summary>Claims room for <paramref name="length"/> more bytes; false when the budget would be exceeded.</summary>
    public bool TryReserve(int length)
    {
        if (_reserved + length > budget || MayGrow?.Invoke(_reserved + length) == false) return false;
        _reserved += length;
        return true;
    }

    /// <summary>Appends a reserved chunk; returns its offset in the spool (one writer thread only).</summary>
    public long Append(ReadOnlySpan<byte> data)
    {
        long at = _end;
        RandomAccess.Write(file, data, at);
        _end += data.Length;
        return at;
    }

    /// <summary>Reads back a chunk (any thread).</summary>
    public void Read(long offset, Span<byte> into)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = RandomAccess.Read(file, into[done..], offset + done);
            if (n <= 0) throw new IOException($"the chunk spool ended at {offset + done}, before the chunk's {into.Length} bytes");
            done += n;
        }
    }

    public void Dispose() => file.Dispose();
}
