namespace CoreDump.Cdm.Archive;

/// <summary>The deflate implementation a chunk is compressed with.</summary>
internal enum DeflateEngine
{
    /// <summary>System.IO.Compression (zlib-ng in .NET 10); level 0 is stored.</summary>
    Zlib,
    /// <summary>Intel ISA-L (<see cref="IsalDeflate"/>), levels 0-3.</summary>
    Isal,
}

/// <summary>How one chunk is compressed: an engine and that engine's level.</summary>
internal readonly record struct ChunkCodec(DeflateEngine Engine, int Level)
{
    public static ChunkCodec Zlib(int level) => new(DeflateEngine.Zlib, level);
    public static ChunkCodec Isal(int level) => new(DeflateEngine.Isal, level);
    public override string ToString() => $"{(Engine == DeflateEngine.Isal ? "isal" : "zlib")} {Level}";
}

internal static partial class GzipMember
{
    /// <summary>Compresses data into one complete gzip member with the codec's engine; an ISA-L chunk that ISA-L
    /// cannot take (library not loaded, or it refused) is compressed by zlib at its default level instead.</summary>
    public static void Compress(ReadOnlySpan<byte> data, ChunkCodec codec, MemberBuffer output)
    {
        if (codec.Engine == DeflateEngine.Isal)
        {
            if (IsalDeflate.TryCompress(data, codec.Level, output)) return;
            codec = ChunkCodec.Zlib(ChunkLevelPolicy.DefaultLevel);
        }
        Compress(data, codec.Level, output);
    }
}
