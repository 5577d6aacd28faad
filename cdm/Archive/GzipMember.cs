using System.Buffers.Binary;
using System.IO.Compression;

namespace CoreDump.Cdm.Archive;

/// <summary>Single gzip members. Concatenated members form one valid gzip stream (RFC 1952 §2.2), which is
/// what lets CoreDump compress chunks independently and rewrite a fixed-size stored member in place.</summary>
internal static partial class GzipMember
{
    private const int HeaderLength = 10, TrailerLength = 8, StoredBlockHeader = 5;

    /// <summary>Size of a stored (uncompressed) member holding <paramref name="dataLength"/> bytes (≤ 65535).</summary>
    public static int StoredLength(int dataLength) => HeaderLength + StoredBlockHeader + dataLength + TrailerLength;

    /// <summary>Writes data as one stored deflate block in its own gzip member. Its size depends only on the
    /// data's length, so the member can later be overwritten in place with different bytes of the same length.</summary>
    public static byte[] Stored(ReadOnlySpan<byte> data)
    {
        var m = new byte[StoredLength(data.Length)];
        WriteStored(data, m);
        return m;
    }

    /// <summary>The same stored member, into <paramref name="output"/> (a chunk too small to be worth a
    /// compressor: no deflate state is set up, nothing but a copy and a CRC).</summary>
    public static void Stored(ReadOnlySpan<byte> data, MemberBuffer output)
    {
        output.Reset();
        int length = StoredLength(data.Length);
        WriteStored(data, output.Reserve(length)[..length]);
        output.Commit(length);
    }

    private static void WriteStored(ReadOnlySpan<byte> data, Span<byte> m)
    {
        if (data.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(data));
        WriteHeader(m);
        m[10] = 0x01; // BFINAL=1, BTYPE=00 (stored)
        BinaryPrimitives.WriteUInt16LittleEndian(m[11..], (ushort)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(m[13..], (ushort)~data.Length);
        data.CopyTo(m[15..]);
        BinaryPrimitives.WriteUInt32LittleEndian(m[(15 + data.Length)..], Crc32.Compute(data));
        BinaryPrimitives.WriteUInt32LittleEndian(m[(19 + data.Length)..], (uint)data.Length);
    }

    /// <summary>Chunks shorter than this are compressed at the configured level without sampling.</summary>
    public const int MinSampledLength = 4 * SampleLength;
    public const int SampleLength = 16 * 1024, Samples = 4;

    /// <summary>Compresses four 16 KiB samples spread over the chunk at level 1 (zlib-ng's deflate_quick, a small
    /// part of the chunk's cost) for <see cref="ChunkLevelPolicy"/>. Chunks shorter than
    /// <see cref="MinSampledLength"/> are not sampled.</summary>
    public static ChunkSample Sample(ReadOnlySpan<byte> data, MemberBuffer scratch)
    {
        if (data.Length < MinSampledLength) return ChunkSample.None;
        scratch.Reset();
        bool allIncompressible = true;
        long before = 0;
        var options = new ZLibCompressionOptions { CompressionLevel = 1, CompressionStrategy = ZLibCompressionStrategy.Default };
        using (var deflate = new DeflateStream(scratch, options, leaveOpen: true))
        {
            for (int i = 0; i < Samples; i++)
            {
                int at = (int)((long)(data.Length - SampleLength) * i / (Samples - 1));
                deflate.Write(data.Slice(at, SampleLength));
                deflate.Flush(); // sync flush: the output so far is exactly this sample's share
                long produced = scratch.Length - before;
                before = scratch.Length;
                if (produced < SampleLength) allIncompressible = false;
            }
        }
        return new ChunkSample(Samples * SampleLength, before, allIncompressible);
    }

    /// <summary>Compresses data into one complete gzip member with zlib (System.IO.Compression).</summary>
    public static void Compress(ReadOnlySpan<byte> data, int level, MemberBuffer output)
    {
        if (level == 0 && data.Length <= ushort.MaxValue)
        {
            Stored(data, output); // the same stored block zlib would write, without setting up a deflate state
            return;
        }
        output.Reset();
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
