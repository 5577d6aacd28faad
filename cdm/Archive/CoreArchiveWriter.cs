using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Policy;
using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm.Archive;

/// <summary>An input that may end early on purpose (a capture cap): its reads then return 0 and
/// <see cref="CutReason"/> says why, so the writer stores the core as cut there instead of padding it.</summary>
internal interface ICappedInput
{
    string? CutReason { get; }
}

/// <summary>What happened to the core while it streamed into the archive.</summary>
internal sealed record CoreStreamResult(long BytesReceived, long BytesStored, long? BytesExpected, bool Truncated, string? TruncatedReason, ElfCoreInfo Elf);

/// <summary>Writes one capture archive in a single pass: os-release, then the core streamed from its input
/// (never copied uncompressed to disk), then metadata.json, then the end of the tar. The core's header sits
/// in a stored gzip member of fixed size so its size field can be corrected once the stream has ended.</summary>
internal sealed class CoreArchiveWriter : IDisposable
{
    /// <summary>Most bytes read ahead to find the core's declared size before its header is written.</summary>
    public const int MaxLookahead = ElfCoreSniffer.MaxPrefix;
    private const int ReadSize = 1 << 20;

    /// <summary>Most zero bytes added to a core that ended early; a larger gap means the headers are not to be believed.</summary>
    public const long MaxPadding = 16L << 30;

    private readonly ChunkedGzipWriter _gz;
    private readonly DateTimeOffset _mtime;

    public CoreArchiveWriter(SafeFileHandle file, CompressionSetting compression, DateTimeOffset mtime, int chunkSize = ChunkedGzipWriter.DefaultChunkSize,
        ChunkSpool? spool = null)
    {
        _gz = new ChunkedGzipWriter(file, 0, compression, chunkSize, spool: spool);
        _mtime = mtime;
    }

    public long CompressedBytes => _gz.FileLength;

    /// <summary>Module first pages to keep as the core streams past (set before <see cref="AddCore"/>).</summary>
    public ModulePages? Modules { get; set; }

    /// <summary>Adds a small file held in memory.</summary>
    public void AddFile(string name, ReadOnlySpan<byte> data, UnixFileMode mode)
    {
        _gz.Write(TarFraming.Header(name, data.Length, mode, _mtime));
        _gz.Write(data);
        _gz.Write(new byte[TarFraming.Padding(data.Length)]);
    }

    /// <summary>Streams the core from <paramref name="input"/> until end of stream or <paramref name="maxSize"/>.
    /// A stream shorter than its ELF headers declare is padded with zeros and flagged truncated.</summary>
    public CoreStreamResult AddCore(string name, Stream input, long maxSize, UnixFileMode mode = FileModes.Mode0600)
    {
        var sniffer = new ElfCoreSniffer();
        var head = ReadHead(input, sniffer, out bool ended);
        Modules?.Observe(0, head);
        long? expected = sniffer.Info.ExpectedSize;
        long declared = expected ?? head.Length;
        if (maxSize > 0) declared = Math.Min(declared, maxSize);

        var header = TarFraming.Header(name, declared, mode, _mtime);
        long headerAt = _gz.WriteStored(header);
        long limit = maxSize > 0 ? maxSize : long.MaxValue;

        long received = head.Length, stored = 0;
        stored += Store(head.AsSpan(0, (int)Math.Min(head.Length, limit)));
        bool cut = head.Length > limit;
        while (!ended && !cut)
        {
            // Read straight into the compressor's current chunk: one copy (the pipe's), whatever the pipe had
            // ready (a pipe read never waits for a full buffer), at most one chunk.
            var span = _gz.GetSpan();
            if (span.Length > ReadSize) span = span[..ReadSize];
            int n = input.Read(span);
            if (n <= 0) break;
            Modules?.Observe(received, span[..n]);
            received += n;
            sniffer.Observe(span[..n]);
            int keep = (int)Math.Min(n, limit - stored);
            _gz.Advance(keep);
            stored += keep;
            cut = keep < n || (stored == limit && maxSize > 0 && PeekMore(input));
        }
        sniffer.Complete();

        string? reason = null;
        long gap = expected is long exp ? Math.Min(exp, limit) - stored : 0;
        if (cut) reason = $"core larger than maxcoresize ({maxSize} bytes); cut there";
        else if ((input as ICappedInput)?.CutReason is { } capped) reason = capped;
        else if (gap > MaxPadding)
            reason = $"stream ended after {received} bytes; the headers declare {expected}, too far to pad: stored as received";
        else if (gap > 0)
        {
            reason = $"stream ended after {received} of {expected} bytes the core's headers declare; zero-padded";
            stored += PadZeros(gap);
        }
        _gz.Write(new byte[TarFraming.Padding(stored)]);
        if (stored != declared) _gz.RewriteStored(headerAt, TarFraming.WithSize(header, stored));
        return new CoreStreamResult(received, stored, expected, reason is not null, reason, sniffer.Info);
    }

    /// <summary>Writes the end-of-archive blocks and waits for every chunk to reach the file.</summary>
    public void Finish()
    {
        _gz.Write(TarFraming.EndOfArchive);
        _gz.Drain();
    }

    public void Dispose() => _gz.Dispose();

    private long Store(ReadOnlySpan<byte> data)
    {
        _gz.Write(data);
        return data.Length;
    }

    private long PadZeros(long count)
    {
        var zeros = new byte[Math.Min(count, ReadSize)];
        for (long left = count; left > 0; left -= zeros.Length)
            _gz.Write(zeros.AsSpan(0, (int)Math.Min(left, zeros.Length)));
        return Math.Max(count, 0);
    }

    /// <summary>Reads until the core's layout is known (or the stream ends, or the look-ahead bound is hit).</summary>
    private static byte[] ReadHead(Stream input, ElfCoreSniffer sniffer, out bool ended)
    {
        var head = new MemoryStream();
        var buffer = new byte[16 * 1024];
        ended = false;
        while (!sniffer.LayoutSettled && head.Length < MaxLookahead)
        {
            int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxLookahead - head.Length));
            if (n <= 0) { ended = true; break; }
            head.Write(buffer, 0, n);
            sniffer.Observe(buffer.AsSpan(0, n));
        }
        return head.ToArray();
    }

    /// <summary>At exactly the size limit: is there anything more to read? (one byte, then discarded)</summary>
    private static bool PeekMore(Stream input)
    {
        Span<byte> one = stackalloc byte[1];
        return input.Read(one) > 0;
    }
}
