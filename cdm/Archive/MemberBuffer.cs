namespace CoreDump.Cdm.Archive;

/// <summary>The output of one chunk's compression: a byte array that is reused from chunk to chunk and never
/// cleared. A <see cref="MemoryStream"/> zeroes every byte it grows over (SetLength, a write past the end),
/// which costs a memset of the whole buffer per chunk, and its first use faults in every page of it; here only
/// the bytes the compressor writes are touched. Append-only as a <see cref="Stream"/> (for
/// System.IO.Compression), or written in place through <see cref="Reserve"/> and <see cref="Commit"/>.</summary>
internal sealed class MemberBuffer(int capacity = 0) : Stream
{
    private byte[] _buffer = capacity > 0 ? GC.AllocateUninitializedArray<byte>(capacity) : [];
    private int _length;

    /// <summary>Bytes the buffer holds without growing.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>What was written since the last <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public override long Length => _length;

    /// <summary>Forgets the contents (nothing is cleared).</summary>
    public void Reset() => _length = 0;

    /// <summary>At least <paramref name="count"/> writable bytes after what was written, to fill in place;
    /// then <see cref="Commit"/> the bytes actually written.</summary>
    public Span<byte> Reserve(int count)
    {
        EnsureCapacity(_length + count);
        return _buffer.AsSpan(_length, _buffer.Length - _length);
    }

    public void Commit(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _length)) throw new ArgumentOutOfRangeException(nameof(count));
        _length += count;
    }

    public byte[] ToArray() => Written.ToArray();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        buffer.CopyTo(Reserve(buffer.Length));
        _length += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length) return;
        var grown = GC.AllocateUninitializedArray<byte>(Math.Max(needed, Math.Max(256, _buffer.Length * 2)));
        Written.CopyTo(grown);
        _buffer = grown;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
