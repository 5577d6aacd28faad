using System.Runtime.InteropServices;

namespace CoreDump.Cdm.Archive;

/// <summary>Intel ISA-L's deflate (igzip), loaded at run time from libisal.so.2 when the machine has it
/// (Debian: libisal2). Without it, or with <c>CDM_DEFLATE_ENGINE=zlib</c> in the environment (a switch for
/// benchmarks and tests: the kernel starts cdm with an empty environment), every chunk goes to
/// System.IO.Compression as before. Only two functions are used, through function pointers from
/// <see cref="NativeLibrary.GetExport"/> (no marshalling, nothing for the AOT compiler to warn about):
/// <c>isal_deflate_stateless_init</c> and <c>isal_deflate_stateless</c>, which compresses one whole chunk
/// in one call and writes the gzip trailer (CRC-32, size) itself; the 10-byte gzip header is ours.</summary>
internal static unsafe class IsalDeflate
{
    public const string LibraryName = "libisal.so.2";
    public const string EngineVariable = "CDM_DEFLATE_ENGINE";
    public const int MinLevel = 0, MaxLevel = 3;

    /// <summary>sizeof(struct isal_zstream) in ISA-L 2.30/2.31 (x86-64); the allocation adds room to spare so a
    /// library whose internal state grew cannot write past it. Checked against the C header by a test.</summary>
    public const int ZStreamSize = 82384;
    private const int ZStreamAllocation = 128 * 1024;
    /// <summary>ISAL_DEF_LVL3_DEFAULT, the largest of the level buffers' default sizes: one buffer serves every level.</summary>
    public const int LevelBufferSize = 348160;
    /// <summary>gzip_flag IGZIP_GZIP_NO_HDR: deflate data and the gzip trailer, no header.</summary>
    public const ushort GzipNoHeader = 2;
    private const int CompOk = 0;

    /// <summary>The public head of <c>struct isal_zstream</c> (igzip_lib.h); the internal state follows it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStreamHead
    {
        public byte* NextIn;
        public uint AvailIn, TotalIn;
        public byte* NextOut;
        public uint AvailOut, TotalOut;
        public void* HuffTables;
        public uint Level, LevelBufSize;
        public byte* LevelBuf;
        public ushort EndOfStream, Flush, GzipFlag, HistBits;
    }

    private static readonly Stack<nint> Contexts = new();
    private static int RefusedChunks;

    /// <summary>Switched off by <see cref="EngineVariable"/> (read at once: reading the environment costs nothing).</summary>
    private static readonly bool SwitchedOff = Selects(Environment.GetEnvironmentVariable(EngineVariable)) is false;

    /// <summary>The library, loaded on first use: a capture whose every chunk is too short to sample (an empty
    /// or tiny core) never needs it, and does not pay for the dlopen.</summary>
    private static class Library
    {
        public static readonly delegate* unmanaged<ZStreamHead*, void> InitFn;
        public static readonly delegate* unmanaged<ZStreamHead*, int> DeflateFn;
        public static readonly bool Loaded;

        static Library()
        {
            Tried = true;
            if (NativeLibrary.TryLoad(LibraryName, out nint lib)
                && NativeLibrary.TryGetExport(lib, "isal_deflate_stateless_init", out nint init)
                && NativeLibrary.TryGetExport(lib, "isal_deflate_stateless", out nint deflate))
            {
                InitFn = (delegate* unmanaged<ZStreamHead*, void>)init;
                DeflateFn = (delegate* unmanaged<ZStreamHead*, int>)deflate;
                Loaded = true;
            }
        }
    }

    private static volatile bool Tried;

    /// <summary>How the engine was chosen: "isal", "zlib:env" (switched off by <see cref="EngineVariable"/>),
    /// "zlib:no-libisal" (the library or one of its functions is missing) or "zlib:small" (no chunk was long
    /// enough to need it, so it was never loaded).</summary>
    public static string Status => SwitchedOff ? "zlib:env" : !Tried ? "zlib:small" : Library.Loaded ? "isal" : "zlib:no-libisal";

    /// <summary>ISA-L is not switched off and its library loads (loading it on the first call).</summary>
    public static bool Available => !SwitchedOff && Library.Loaded;

    /// <summary>What the engine switch's value asks for: false for "zlib" (System.IO.Compression only), null to
    /// use ISA-L when it loads (unset, "isal" or anything else).</summary>
    public static bool? Selects(string? setting) => string.Equals(setting?.Trim(), "zlib", StringComparison.OrdinalIgnoreCase) ? false : null;

    /// <summary>Chunks ISA-L refused (each was then compressed with zlib instead, so nothing is lost); 0 normally.</summary>
    public static int Failures => Volatile.Read(ref RefusedChunks);

    /// <summary>For cdm's log line: "deflate=STATUS", and how many chunks ISA-L refused if any.</summary>
    public static string LogField => RefusedChunks == 0 ? $"deflate={Status}" : $"deflate={Status} isal_refused={RefusedChunks}";

    /// <summary>Room for one member of <paramref name="length"/> input bytes, header and trailer included: ISA-L
    /// writes stored blocks (5 bytes per 64 KiB) when the data does not compress, so this always suffices.</summary>
    public static int Bound(int length) => length + length / 16 + 64;

    /// <summary>Compresses data at ISA-L <paramref name="level"/> (0-3) into one complete gzip member in
    /// <paramref name="output"/>. False when ISA-L is not loaded or refused the data: the caller then uses zlib.</summary>
    public static bool TryCompress(ReadOnlySpan<byte> data, int level, MemberBuffer output)
    {
        if (!Available || level is < MinLevel or > MaxLevel) return false;
        output.Reset();
        var buffer = output.Reserve(Bound(data.Length)); // a pooled buffer sized for the worst case never grows
        GzipHeader.CopyTo(buffer);
        int produced = Deflate(data, level, GzipNoHeader, buffer[GzipHeader.Length..]);
        if (produced < 0)
        {
            Interlocked.Increment(ref RefusedChunks);
            return false;
        }
        output.Commit(GzipHeader.Length + produced);
        return true;
    }

    /// <summary>Level of the samples: ISA-L's level 1 (igzip's default), a few per cent of a chunk's cost.</summary>
    public const int SampleLevel = 1;

    /// <summary>Compresses the same four 16 KiB samples as <see cref="GzipMember.Sample"/>, each on its own as raw
    /// deflate at ISA-L <see cref="SampleLevel"/>, for <see cref="ChunkLevelPolicy"/>. Chunks shorter than
    /// <see cref="GzipMember.MinSampledLength"/>, or no ISA-L: <see cref="ChunkSample.None"/>.</summary>
    public static ChunkSample Sample(ReadOnlySpan<byte> data, MemberBuffer scratch)
    {
        if (!Available || data.Length < GzipMember.MinSampledLength) return ChunkSample.None;
        const int length = GzipMember.SampleLength, samples = GzipMember.Samples;
        scratch.Reset();
        var output = scratch.Reserve(Bound(length))[..Bound(length)];
        long compressed = 0;
        bool allIncompressible = true;
        for (int i = 0; i < samples; i++)
        {
            int at = (int)((long)(data.Length - length) * i / (samples - 1));
            int produced = Deflate(data.Slice(at, length), SampleLevel, 0, output);
            if (produced < 0) return ChunkSample.None;
            compressed += produced;
            if (produced < length) allIncompressible = false;
        }
        return new ChunkSample(samples * length, compressed, allIncompressible);
    }

    /// <summary>One isal_deflate_stateless call: the whole input, with end of stream. Returns the bytes written to
    /// <paramref name="output"/>, or -1 when ISA-L refused (an error code, or input left over).</summary>
    private static int Deflate(ReadOnlySpan<byte> data, int level, ushort gzipFlag, Span<byte> output)
    {
        nint context = Rent();
        try
        {
            var s = (ZStreamHead*)context;
            Library.InitFn(s);
            fixed (byte* input = data)
            fixed (byte* outputBytes = output)
            {
                s->NextIn = input;
                s->AvailIn = (uint)data.Length;
                s->NextOut = outputBytes;
                s->AvailOut = (uint)output.Length;
                s->Level = (uint)level;
                s->LevelBuf = (byte*)context + ZStreamAllocation;
                s->LevelBufSize = level == 0 ? 0u : LevelBufferSize;
                s->GzipFlag = gzipFlag;
                s->EndOfStream = 1;
                int rc = Library.DeflateFn(s);
                return rc == CompOk && s->AvailIn == 0 ? (int)s->TotalOut : -1;
            }
        }
        finally
        {
            lock (Contexts) Contexts.Push(context);
        }
    }

    /// <summary>The same header as the members CoreDump writes itself: deflate, no flags, mtime 0, Unix.</summary>
    private static ReadOnlySpan<byte> GzipHeader => [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];

    /// <summary>A stream state and level buffer (~470 KiB of native memory), one per concurrent compressor; they
    /// are kept for reuse, so there are never more than the most chunks ever compressed at once.</summary>
    private static nint Rent()
    {
        lock (Contexts) if (Contexts.Count > 0) return Contexts.Pop();
        return (nint)NativeMemory.AlignedAlloc(ZStreamAllocation + LevelBufferSize, 64);
    }
}
