using System.Text;
using SharpCompress.Common;
using SharpCompress.Writers.Tar;

namespace CoreDump.Archive;

/// <summary>Tar framing for CoreDump's streaming archives. SharpCompress encodes each entry's header;
/// CoreDump then sets the fields it gets wrong for us (mode, owner names) and can re-encode the size when a
/// stream turns out longer or shorter than first declared. Entry data and padding are written by the caller.</summary>
public static class TarFraming
{
    public const int Block = 512;
    private const int ModeOffset = 100, UidOffset = 108, GidOffset = 116, SizeOffset = 124, ChecksumOffset = 148, UnameOffset = 265, GnameOffset = 297;

    /// <summary>The header block(s) for one regular file entry, owner root:root.</summary>
    public static byte[] Header(string name, long size, uint mode, DateTimeOffset mtime)
    {
        var sink = new HeaderSink();
        using (var writer = new TarWriter(sink, new TarWriterOptions(CompressionType.None, finalizeArchiveOnClose: false) { LeaveStreamOpen = true }))
        {
            // SharpCompress 0.50 corrupts the gid field when it writes a base-256 size: declare 0 and set it below.
            long declared = size < 8L << 30 ? size : 0;
            try { writer.Write(name, new NoDataSource(declared), mtime.UtcDateTime, declared); }
            catch (HeaderWritten) { }
        }
        var header = sink.ToArray();
        if (header.Length == 0 || header.Length % Block != 0) throw new InvalidOperationException("unexpected tar header from SharpCompress");
        var last = header.AsSpan(header.Length - Block);
        WriteOctal(last.Slice(ModeOffset, 8), mode);
        WriteOctal(last.Slice(UidOffset, 8), 0);
        WriteOctal(last.Slice(GidOffset, 8), 0);
        WriteName(last.Slice(UnameOffset, 32), "root");
        WriteName(last.Slice(GnameOffset, 32), "root");
        Checksum(last);
        return size < 8L << 30 ? header : WithSize(header, size);
    }

    /// <summary>Re-encodes the size field of a single-block header (octal below 8 GiB, base-256 above).</summary>
    public static byte[] WithSize(ReadOnlySpan<byte> header, long size)
    {
        var copy = header.ToArray();
        var last = copy.AsSpan(copy.Length - Block);
        var field = last.Slice(SizeOffset, 12);
        if (size < 8L << 30) WriteOctal(field, size);
        else
        {
            field.Clear();
            field[0] = 0x80;
            for (int i = 11; i >= 4; i--) { field[i] = (byte)(size & 0xff); size >>= 8; }
        }
        Checksum(last);
        return copy;
    }

    public static long ReadSize(ReadOnlySpan<byte> header)
    {
        var field = header.Slice(header.Length - Block + SizeOffset, 12);
        if ((field[0] & 0x80) != 0)
        {
            long v = 0;
            for (int i = 4; i < 12; i++) v = (v << 8) | field[i];
            return v;
        }
        long n = 0;
        foreach (byte b in field) { if (b is < (byte)'0' or > (byte)'7') { if (n > 0 || b != (byte)' ') break; continue; } n = n * 8 + (b - '0'); }
        return n;
    }

    public static int Padding(long size) => (int)((Block - size % Block) % Block);

    /// <summary>Two zero blocks end a tar archive.</summary>
    public static ReadOnlySpan<byte> EndOfArchive => new byte[2 * Block];

    private static void WriteOctal(Span<byte> field, long value)
    {
        string s = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(s).CopyTo(field);
        field[^1] = 0;
    }

    private static void WriteName(Span<byte> field, string name)
    {
        field.Clear();
        Encoding.ASCII.GetBytes(name).CopyTo(field);
    }

    private static void Checksum(Span<byte> block)
    {
        block.Slice(ChecksumOffset, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in block) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0')).CopyTo(block[ChecksumOffset..]);
        block[ChecksumOffset + 6] = 0;
        block[ChecksumOffset + 7] = (byte)' ';
    }

    private sealed class HeaderWritten : Exception;

    /// <summary>Source whose first read signals that SharpCompress has finished writing the header.</summary>
    private sealed class NoDataSource(long length) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new HeaderWritten();
        public override int Read(Span<byte> buffer) => throw new HeaderWritten();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class HeaderSink : MemoryStream;
}
