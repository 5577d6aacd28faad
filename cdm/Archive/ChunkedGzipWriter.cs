using System.Runtime.ExceptionServices;
using CoreDump.Cdm.Policy;
using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm.Archive;

/// <summary>A write-only stream that cuts its input into fixed-size chunks, compresses each one as an
/// independent gzip member on the thread pool and appends the members to the file in order. Memory is
/// bounded by <see cref="MaxInFlight"/> chunks. A stream that never fills one chunk is compressed inline.
/// When the compressors fall behind the input and a <see cref="ChunkSpool"/> is given, further chunks are
/// set aside raw in the spool instead of making the writer wait (the crashed process waits for the reader);
/// the compressors take them from there, in order, as they get free.</summary>
internal sealed class ChunkedGzipWriter : Stream
{
    public const int DefaultChunkSize = 1 << 20;
    public const int MaxInFlight = 8;

    private readonly SafeFileHandle _file;
    private readonly CompressionSetting _compression;
    private readonly int _chunkSize;
    private readonly bool _isalAllowed;
    private readonly ChunkSpool? _spool;
    // _gate guards the three below; completions pulse it.
    private readonly object _gate = new();
    private int _running; // chunks being compressed or waiting for their turn to be written
    private readonly Queue<PendingChunk> _spooled = new(); // Input null: the bytes are in the spool
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

    /// <param name="engine">Null: ISA-L when it loads (<see cref="IsalDeflate.Available"/>, asked at the first chunk
    /// long enough to sample), else zlib.</param>
    public ChunkedGzipWriter(SafeFileHandle file, long startOffset, CompressionSetting compression, int chunkSize = DefaultChunkSize,
        DeflateEngine? engine = null, ChunkSpool? spool = null)
    {
        _spool = spool;
        _isalAllowed = engine != DeflateEngine.Zlib;
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

    /// <summary>Compresses and writes everything accepted so far (the spool included), waiting for the workers.</summary>
    public void Drain()
    {
        if (_chunkLength > 0) Submit(inlineIfAlone: true);
        WaitIdle();
        _lastWrite.GetAwaiter().GetResult(); // a failed chunk fails the archive
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
        lock (_gate)
        {
            ThrowIfFailed();
            bool nothingAhead = _running == 0 && _spooled.Count == 0 && _lastWrite.IsCompleted;
            if (nothingAhead && (allZero || inlineIfAlone))
            {
                // Nothing ahead of it: written now, no task (long zero runs are read at pipe speed; a stream
                // that never filled a chunk pays nothing for threads).
                _lastWrite.GetAwaiter().GetResult();
                if (allZero) WriteInOrder(ZeroMember(input));
                else
                {
                    var output = CompressChunk(input, length, index);
                    Append(output);
                    ReturnOutput(output);
                }
                ReturnInput(input);
                return;
            }
            while (true)
            {
                if (_spooled.Count == 0 && _running < MaxInFlight)
                {
                    StartLocked(new PendingChunk(index, input, length, allZero, -1));
                    return;
                }
                if (_spool is not null && (allZero || _spool.TryReserve(length))) break; // set aside, below
                Monitor.Wait(_gate); // no room in the spool: wait for a compressor
                ThrowIfFailed();
            }
        }
        // Outside the lock: the compressors go on while the chunk is written to the spool. Only this thread
        // adds to the spool's queue, so the chunks stay in order.
        long at = allZero ? -1 : _spool.Append(input.AsSpan(0, length));
        ReturnInput(input);
        lock (_gate)
        {
            _spooled.Enqueue(new PendingChunk(index, null, length, allZero, at));
            PumpLocked();
        }
    }

    /// <summary>A chunk on its way to the compressors: in memory (<c>Input</c>), or in the spool at <c>SpoolOffset</c>.</summary>
    private readonly record struct PendingChunk(long Index, byte[]? Input, int Length, bool AllZero, long SpoolOffset);

    /// <summary>Starts compressing a chunk and chains its write after the previous chunk's (callers hold _gate,
    /// and start chunks in order).</summary>
    private void StartLocked(PendingChunk c)
    {
        _running++;
        var compress = Task.Run(() =>
        {
            YieldToTheReader();
            if (c.AllZero) return (Output: (MemberBuffer?)null, Input: c.Input);
            var input = c.Input ?? ReadSpooled(c.SpoolOffset, c.Length);
            return (Output: CompressChunk(input, c.Length, c.Index), Input: (byte[]?)input);
        });
        var previous = _lastWrite;
        _lastWrite = Task.WhenAll(previous, compress).ContinueWith(t =>
        {
            try
            {
                t.GetAwaiter().GetResult();
                var (output, input) = compress.Result;
                if (output is null) WriteInOrder(ZeroMember(input));
                else { Append(output); ReturnOutput(output); }
                if (input is not null) ReturnInput(input);
            }
            catch (Exception e)
            {
                lock (_gate) _failure ??= e;
                throw;
            }
            finally
            {
                lock (_gate)
                {
                    _running--;
                    PumpLocked();
                    Monitor.PulseAll(_gate);
                }
            }
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>Nice value of the threads that compress in the background: while the crashed process waits, the
    /// thread reading its core (and the kernel writing it) come first, and the compressors take the CPU left
    /// over; after the release they still get the whole machine unless other work wants it.</summary>
    public const int CompressorNice = 10;

    [ThreadStatic] private static bool ThreadNiced;

    private static void YieldToTheReader()
    {
        if (ThreadNiced) return;
        ThreadNiced = true;
        _ = Posix.TrySetThreadNice(CompressorNice); // refused: the compressors just compete as equals
    }

    /// <summary>Hands spooled chunks to free compressors, oldest first (callers hold _gate).</summary>
    private void PumpLocked()
    {
        if (_failure is not null) { _spooled.Clear(); return; }
        while (_spooled.Count > 0 && _running < MaxInFlight) StartLocked(_spooled.Dequeue());
    }

    private byte[] ReadSpooled(long offset, int length)
    {
        var input = RentInput();
        _spool!.Read(offset, input.AsSpan(0, length));
        return input;
    }

    /// <summary>Waits until every chunk, spooled ones included, is written (or failed).</summary>
    private void WaitIdle()
    {
        lock (_gate) while (_running > 0 || _spooled.Count > 0) Monitor.Wait(_gate);
    }

    private Exception? _failure;

    /// <summary>Raises the first failure of a chunk on the writer's thread (never waits: callers hold _gate).</summary>
    private void ThrowIfFailed()
    {
        if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
    }

    private MemberBuffer CompressChunk(byte[] input, int length, long index)
    {
        var output = RentOutput();
        var data = input.AsSpan(0, length);
        if (ChunkLevelPolicy.StoresShortChunk(length, _compression))
        {
            GzipMember.Stored(data, output);
            return output;
        }
        // a chunk too short to sample goes to zlib (the policy), so a tiny core never loads the library
        bool isal = _isalAllowed && data.Length >= GzipMember.MinSampledLength && IsalDeflate.Available;
        var sample = isal ? IsalDeflate.Sample(data, output) : GzipMember.Sample(data, output);
        GzipMember.Compress(data, ChunkLevelPolicy.Choose(sample, _compression, index, isal), output);
        return output;
    }

    /// <summary>Runs of zero pages are common in cores; an all-zero chunk always compresses to the same member
    /// (made from the first such chunk, <paramref name="zeros"/>, or from a fresh one when it was spooled).</summary>
    private byte[] ZeroMember(byte[]? zeros)
    {
        lock (_poolLock)
        {
            if (_zeroMember is null)
            {
                var ms = new MemberBuffer();
                GzipMember.Compress(zeros is null ? new byte[_chunkSize] : zeros.AsSpan(0, _chunkSize), _compression.Auto ? ChunkLevelPolicy.DefaultLevel : _compression.Level, ms);
                _zeroMember = ms.ToArray();
            }
            return _zeroMember;
        }
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

    private void ReturnInput(byte[] input)
    {
        lock (_poolLock) _freeInput.Push(input);
    }

    private void ReturnOutput(MemberBuffer output)
    {
        lock (_poolLock) _freeOutput.Push(output);
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
        if (disposing) { WaitIdle(); _sync.Wait(); }
        base.Dispose(disposing);
    }
}
