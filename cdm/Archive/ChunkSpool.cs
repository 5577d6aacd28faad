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
internal sealed class ChunkSpool(long budget) : IDisposable
{
    private SafeFileHandle? _file; // created with the first chunk: a capture that never spools makes no file
    private bool _unavailable;
    private long _end;

    /// <summary>Asked before the spool grows, with its size after the chunk (the disk guard's live check:
    /// <see cref="DiskGuard.MaySpool"/>); null: the budget alone decides.</summary>
    public Func<long, bool>? MayGrow { get; set; }

    /// <summary>A spool of at most <paramref name="budget"/> bytes, or null for a budget of 0.</summary>
    public static ChunkSpool? Open(long budget) => budget > 0 ? new ChunkSpool(budget) : null;

    /// <summary>Bytes set aside so far (the spool's size at the end).</summary>
    public long BytesSpooled => _end;

    /// <summary>Whether <paramref name="length"/> more bytes may be appended: within the budget, allowed by
    /// <see cref="MayGrow"/>, and the anonymous file exists (false for good when the kernel refuses it: the
    /// capture then goes on without a spool, as before). One writer thread asks, then appends.</summary>
    public bool TryReserve(int length)
    {
        if (_end + length > budget || MayGrow?.Invoke(_end + length) == false) return false;
        if (_file is null && !_unavailable)
        {
            try { _file = Posix.MemfdCreate("cdm-spool"); }
            catch (PosixException) { _unavailable = true; }
        }
        return _file is not null;
    }

    /// <summary>Appends a chunk <see cref="TryReserve"/> allowed; returns its offset in the spool.</summary>
    public long Append(ReadOnlySpan<byte> data)
    {
        long at = _end;
        RandomAccess.Write(_file!, data, at);
        _end += data.Length;
        return at;
    }

    /// <summary>Reads back a chunk (any thread).</summary>
    public void Read(long offset, Span<byte> into)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = RandomAccess.Read(_file!, into[done..], offset + done);
            if (n <= 0) throw new IOException($"the chunk spool ended at {offset + done}, before the chunk's {into.Length} bytes");
            done += n;
        }
    }

    public void Dispose() => _file?.Dispose();
}
