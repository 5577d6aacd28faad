using CoreDump.Cdm.Policy;
using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm.Archive;

/// <summary>A write-only stream that cuts its input into fixed-size chunks, compresses each one as an
/// independent gzip member on the thread pool and appends the members to the file in order. Memory is
/// bounded by <see cref="MaxInFlight"/> chunks. A stream that never fills one chunk is compressed inline.</summary>
internal sealed class ChunkedGzipWriter : Stream
{
    public const int DefaultChunkSize = 1 << 20;
    public const int MaxInFlight = 8;

    private readonly SafeFileHandle _file;
    private readonly CompressionSetting _compression;
    private readonly int _chunkSize;
    private readonly bool _isal;
    private readonly Queue<Task> _inFlight = new();
    private readonly Stack<byte[]> _freeInput = new();
    private readonly Stack<MemberBuffer> _freeOutput = new();
    private readonly object _poolLock = new();
    private byte[]? _chunk; // rented when the first byte of a chunk arrives
    private int _chunkLength;
    private bool _chunkHasNonZero;
    private Task _lastWrite = Task.CompletedTask;
    private byte[]? _zeroMember;
    private long _fileOffset, _bytesIn, _chunksSubmitted, _syncedUpTo;
    private Task _sync = Task.CompletedTask;
    private int _syncError; // -errno of the first failed background fsync
    /// <summary>Every this many bytes of archive, a background fsync makes what is written so far durable, so the
    /// fsync at publish only waits for the tail (docs/performance.md, "Background fsync").</summary>
    public const int SyncEvery = 16 << 20;

    /// <param name="engine">Null: ISA-L when it is loaded (<see cref="IsalDeflate.Available"/>), else zlib.</param>
    public ChunkedGzipWriter(SafeFileHandle file, long startOffset, CompressionSetting compression, int chunkSize = DefaultChunkSize, DeflateEngine? engine = null)
    {
        _isal = engine != DeflateEngine.Zlib && IsalDeflate.Available;
        _file = file;
        _fileOffset = startOffset;
        _compression = compression;
        _chunkSize = chunkSize;
    }

    /// <summary>Uncompressed bytes accepted so far.</summary>
    public long BytesIn => _bytesIn;

    /// <summary>Compressed bytes in the file once all pending chunks are written (call <see cref="Drain"/> first).</summary>
    public long FileLength => _fileOffset;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _bytesIn += buffer.Length;
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _chunkSize - _chunkLength);
            buffer[..n].CopyTo(Chunk.AsSpan(_chunkLength));
            Accept(n);
            buffer = buffer[n..];
            if (_chunkLength == _chunkSize) Submit(inlineIfAlone: false);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>The free rest of the current chunk, to read input straight into (no copy); commit with
    /// <see cref="Advance"/>. Never empty.</summary>
    public Span<byte> GetSpan() => Chunk.AsSpan(_chunkLength);

    private byte[] Chunk => _chunk ??= RentInput();

    /// <summary>Accepts the first <paramref name="count"/> bytes written into <see cref="GetSpan"/>.</summary>
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_chunkSize - _chunkLength)) throw new ArgumentOutOfRangeException(nameof(count));
        _bytesIn += count;
        Accept(count);
        if (_chunkLength == _chunkSize) Submit(inlineIfAlone: false);
    }

    /// <summary>Takes <paramref name="count"/> new bytes into the current chunk and looks for a non-zero byte
    /// among them while they are still in the cache (zero chunks of big mappings are skipped at pipe speed).</summary>
    private void Accept(int count)
    {
        if (!_chunkHasNonZero) _chunkHasNonZero = Chunk.AsSpan(_chunkLength, count).IndexOfAnyExcept((byte)0) >= 0;
        _chunkLength += count;
    }

    /// <summary>Ends the current member at a chunk boundary, writes <paramref name="data"/> as a stored member
    /// and returns the file offset where it starts (for <see cref="RewriteStored"/>).</summary>
    public long WriteStored(ReadOnlySpan<byte> data)
    {
        Drain();
        var member = GzipMember.Stored(data);
        long at = _fileOffset;
        WriteInOrder(member);
        _bytesIn += data.Length;
        return at;
    }

    /// <summary>Overwrites a stored member written earlier with new data of the same length.</summary>
    public void RewriteStored(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(_file, GzipMember.Stored(data), offset);

    /// <summary>Compresses and writes everything accepted so far, waiting for the workers.</summary>
    public void Drain()
    {
        if (_chunkLength > 0) Submit(inlineIfAlone: true);
        while (_inFlight.Count > 0) _inFlight.Dequeue().GetAwaiter().GetResult();
        _sync.Wait(); // the file handle must outlive it
        if (_syncError < 0) throw new IOException($"fsync while writing: {Posix.Describe(-_syncError)}");
    }

    public override void Flush() { }

    private void Submit(bool inlineIfAlone)
    {
        var input = Chunk;
        int length = _chunkLength;
        long index = _chunksSubmitted++;
        _chunk = null;
        bool allZero = length == _chunkSize && !_chunkHasNonZero;
        _chunkLength = 0;
        _chunkHasNonZero = false;
        if (allZero)
        {
            AppendZeroChunk(input);
            return;
        }
        if (inlineIfAlone && _inFlight.Count == 0)
        {
            var output = CompressChunk(input, length, index);
            Append(output);
            Return(input, output);
            return;
        }
        var compress = Task.Run(() => CompressChunk(input, length, index));
        var previous = _lastWrite;
        _lastWrite = Task.WhenAll(previous, compress).ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            Append(compress.Result);
            Return(input, compress.Result);
        }, TaskContinuationOptions.ExecuteSynchronously);
        Track(_lastWrite);
    }

    private MemberBuffer CompressChunk(byte[] input, int length, long index)
    {
        var output = RentOutput();
        var data = input.AsSpan(0, length);
        var sample = _isal ? IsalDeflate.Sample(data, output) : GzipMember.Sample(data, output);
        GzipMember.Compress(data, ChunkLevelPolicy.Choose(sample, _compression, index, _isal), output);
        return output;
    }

    /// <summary>Runs of zero pages are common in cores; an all-zero chunk always compresses to the same member.</summary>
    private void AppendZeroChunk(byte[] input)
    {
        if (_zeroMember is null)
        {
            var ms = new MemberBuffer();
            GzipMember.Compress(input, _compression.Auto ? ChunkLevelPolicy.DefaultLevel : _compression.Level, ms);
            _zeroMember = ms.ToArray();
        }
        var member = _zeroMember;
        var previous = _lastWrite;
        if (previous.IsCompleted)
        {
            // Nothing ahead of it: write now, no task (long zero runs are read at pipe speed).
            previous.GetAwaiter().GetResult();
            WriteInOrder(member);
            lock (_poolLock) _freeInput.Push(input);
            return;
        }
        _lastWrite = previous.ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            WriteInOrder(member);
            lock (_poolLock) _freeInput.Push(input);
        }, TaskContinuationOptions.ExecuteSynchronously);
        Track(_lastWrite);
    }

    /// <summary>Keeps at most <see cref="MaxInFlight"/> chunks pending: waits for the oldest beyond that.</summary>
    private void Track(Task write)
    {
        _inFlight.Enqueue(write);
        while (_inFlight.Count > MaxInFlight) _inFlight.Dequeue().GetAwaiter().GetResult();
    }

    private void Append(MemberBuffer output) => WriteInOrder(output.Written);

    /// <summary>Appends at the running offset (callers are serialised by the chain of write tasks); every
    /// <see cref="SyncEvery"/> bytes, starts a background fsync unless one is still running.</summary>
    private void WriteInOrder(ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_file, data, _fileOffset);
        _fileOffset += data.Length;
        if (_fileOffset - _syncedUpTo < SyncEvery || !_sync.IsCompleted) return;
        _syncedUpTo = _fileOffset;
        // Its own thread: it waits for the disk, and must not hold up a compressor. A write-back error is
        // reported to one fsync only, so a failure here is kept and raised by Drain: the publish fsync would
        // no longer see it.
        _sync = Task.Factory.StartNew(() =>
        {
            try { Posix.Fsync(_file); } catch (PosixException e) { Interlocked.CompareExchange(ref _syncError, -e.Errno, 0); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private byte[] RentInput()
    {
        // Not cleared: only the bytes read into a chunk are ever looked at.
        lock (_poolLock) return _freeInput.Count > 0 ? _freeInput.Pop() : GC.AllocateUninitializedArray<byte>(_chunkSize);
    }

    private MemberBuffer RentOutput()
    {
        lock (_poolLock) return _freeOutput.Count > 0 ? _freeOutput.Pop() : new MemberBuffer(_chunkSize + _chunkSize / 16 + 1024) /* worst case (stored), so it never grows */;
    }

    private void Return(byte[] input, MemberBuffer output)
    {
        lock (_poolLock) { _freeInput.Push(input); _freeOutput.Push(output); }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _bytesIn; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // Drain on dispose only when nothing failed: a failed capture must not block here.
        if (disposing) { try { while (_inFlight.Count > 0) _inFlight.Dequeue().Wait(); } catch (AggregateException) { } _sync.Wait(); }
        base.Dispose(disposing);
    }
}
