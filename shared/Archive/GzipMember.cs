using System.Buffers.Binary;
using System.IO.Compression;

namespace CoreDump.Archive;

/// <summary>Single gzip members. Concatenated members form one valid gzip stream (RFC 1952 §2.2), which is
/// what lets CoreDump compress chunks independently and rewrite a fixed-size stored member in place.</summary>
public static class GzipMember
{
    private const int HeaderLength = 10, TrailerLength = 8, StoredBlockHeader = 5;

    /// <summary>Size of a stored (uncompressed) member holding <paramref name="dataLength"/> bytes (≤ 65535).</summary>
    public static int StoredLength(int dataLength) => HeaderLength + StoredBlockHeader + dataLength + TrailerLength;

    /// <summary>Writes data as one stored deflate block in its own gzip member. Its size depends only on the
    /// data's length, so the member can later be overwritten in place with different bytes of the same length.</summary>
    public static byte[] Stored(ReadOnlySpan<byte> data)
    {
        if (data.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(data));
        var m = new byte[StoredLength(data.Length)];
        WriteHeader(m);
        m[10] = 0x01; // BFINAL=1, BTYPE=00 (stored)
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(11), (ushort)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(13), (ushort)~data.Length);
        data.CopyTo(m.AsSpan(15));
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(15 + data.Length), Crc32.Compute(data));
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(19 + data.Length), (uint)data.Length);
        return m;
    }

    /// <summary>Compresses data into one complete gzip member with zlib (System.IO.Compression).</summary>
    public static void Compress(ReadOnlySpan<byte> data, int level, MemoryStream output)
    {
        output.SetLength(0);
        var options = new ZLibCompressionOptions { CompressionLevel = level, CompressionStrategy = ZLibCompressionStrategy.Default };
        using var gz = new GZipStream(output, options, leaveOpen: true);
        gz.Write(data);
    }

    private static void WriteHeader(Span<byte> m)
    {
        m[0] = 0x1f; m[1] = 0x8b; m[2] = 8; m[3] = 0; // no flags, mtime 0
        m[8] = 0; m[9] = 3; // XFL, OS = Unix
    }
}
