using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using CoreDump.Metadata;

namespace CoreDump.Cdm.Intake;

/// <summary>Where in the core stream the first page of each mapped ELF module lies: an NT_FILE mapping at file
/// offset 0 whose PT_LOAD segment has bytes in the core (the kernel dumps the first page of a file mapping that
/// starts with an ELF header: coredump_filter bit 4, on by default). Built from the core's head (program headers
/// and notes, parsed before the capture), so the stream itself is never searched.</summary>
internal sealed record ModulePage(byte[] Path, ulong Start, long CoreOffset, int Length);

/// <summary>Keeps the first page of each planned module as the core streams past: a few KiB per module, at most
/// <see cref="ModuleBuildIds.MaxModules"/> modules. Bytes arrive in stream order; only reads that reach the next
/// planned offset do any work.</summary>
internal sealed class ModulePages
{
    private readonly ModulePage[] _plan;
    private readonly byte[][] _pages;
    private readonly int[] _filled;
    private int _next;
    private long _nextOffset;

    public ModulePages(IReadOnlyList<ModulePage> plan, string? cutNote = null)
    {
        _plan = plan.OrderBy(p => p.CoreOffset).ToArray();
        _pages = new byte[_plan.Length][];
        _filled = new int[_plan.Length];
        _nextOffset = _plan.Length > 0 ? _plan[0].CoreOffset : long.MaxValue;
        CutNote = cutNote;
    }

    /// <summary>Why not every module of the core was planned (too many), or null.</summary>
    public string? CutNote { get; }

    public int Count => _plan.Length;

    /// <summary><paramref name="data"/> is the stream's bytes from <paramref name="offset"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Observe(long offset, ReadOnlySpan<byte> data)
    {
        if (offset + data.Length > _nextOffset) Take(offset, data);
    }

    private void Take(long offset, ReadOnlySpan<byte> data)
    {
        long end = offset + data.Length;
        for (int i = _next; i < _plan.Length && _plan[i].CoreOffset < end; i++)
        {
            var p = _plan[i];
            long from = Math.Max(offset, p.CoreOffset), to = Math.Min(end, p.CoreOffset + p.Length);
            if (to > from)
            {
                var page = _pages[i] ??= new byte[p.Length];
                data.Slice((int)(from - offset), (int)(to - from)).CopyTo(page.AsSpan((int)(from - p.CoreOffset)));
                _filled[i] = Math.Max(_filled[i], (int)(to - p.CoreOffset));
            }
            if (i == _next && p.CoreOffset + p.Length <= end) _next++;
        }
        _nextOffset = _next < _plan.Length ? _plan[_next].CoreOffset : long.MaxValue;
    }

    /// <summary>Each planned module with the bytes of its first page that arrived (possibly none).</summary>
    public IEnumerable<(ModulePage Module, ReadOnlyMemory<byte> Page)> Captured()
    {
        for (int i = 0; i < _plan.Length; i++)
            yield return (_plan[i], _pages[i] is { } p ? p.AsMemory(0, _filled[i]) : ReadOnlyMemory<byte>.Empty);
    }
}

/// <summary>The GNU build-ids of the executable and of every mapped ELF module, read from the ELF headers the
/// kernel dumped into the core. Pure and bounds-checked: every byte of the core is the crashed process's, so a
/// page may hold anything (a forged header, tables pointing outside the page, huge sizes).</summary>
internal static class ModuleBuildIds
{
    /// <summary>Most modules whose first page is kept (a process maps a few hundred at most in practice).</summary>
    public const int MaxModules = 512;
    /// <summary>Bytes kept per module: the ELF header, program headers and the build-id note sit in the first page.</summary>
    public const int PageBytes = 4096;
    /// <summary>Longest build-id accepted (GNU ld writes 20 bytes for sha1, 16 for md5; --build-id=0x... any).</summary>
    public const int MaxBuildIdBytes = 64;

    private const uint PT_LOAD = 1, PT_NOTE = 4, NT_FILE = 0x46494c45, NT_GNU_BUILD_ID = 3;
    private const int MaxFileEntries = 1 << 20;

    /// <summary>The modules to watch for, from the core's head (ELF header, program headers, notes).</summary>
    public static ModulePages Plan(ReadOnlySpan<byte> head)
    {
        if (ElfCoreParser.ReadLayout(head) is not { } layout || layout.NoteSize <= 0 || layout.NoteOffset + layout.NoteSize > head.Length)
            return new ModulePages([]);
        var loads = new Dictionary<ulong, (long Offset, ulong FileSize)>();
        int phoff = (int)U64(head, 0x20), phentsize = U16(head, 0x36), phnum = U16(head, 0x38);
        for (int i = 0; i < phnum; i++)
        {
            var ph = head.Slice(phoff + i * phentsize, phentsize);
            ulong off = U64(ph, 8), vaddr = U64(ph, 16), filesz = U64(ph, 32);
            if (U32(ph, 0) == PT_LOAD && filesz > 0 && off < long.MaxValue / 2) loads.TryAdd(vaddr, ((long)off, filesz));
        }
        var plan = new List<ModulePage>();
        int candidates = 0;
        foreach (var (start, pageOffset, path) in FileMappings(head.Slice((int)layout.NoteOffset, (int)layout.NoteSize)))
        {
            if (pageOffset != 0 || !loads.TryGetValue(start, out var load)) continue;
            if (++candidates > MaxModules) continue;
            plan.Add(new ModulePage(path, start, load.Offset, (int)Math.Min(load.FileSize, PageBytes)));
        }
        string? cut = candidates > MaxModules
            ? $"the core maps {candidates} files whose first page was dumped; build-ids are read for the first {MaxModules}" : null;
        return new ModulePages(plan, cut);
    }

    /// <summary>The modules (ELF files) among the captured pages with their build-ids, and the executable's build-id
    /// (the module whose path is <paramref name="executablePath"/>, the NT_FILE path holding AT_ENTRY).</summary>
    public static (List<MappedModule> Modules, string? ExecutableBuildId) Read(ModulePages pages, byte[]? executablePath)
    {
        var modules = new List<MappedModule>();
        string? exe = null;
        bool exeSeen = false;
        foreach (var (m, page) in pages.Captured().OrderBy(c => c.Module.Start))
        {
            if (!IsElf64Le(page.Span)) continue;
            string? id = BuildId(page.Span);
            modules.Add(new MappedModule { Path = Encoding.UTF8.GetString(m.Path), Start = m.Start, BuildId = id });
            if (!exeSeen && executablePath is not null && m.Path.AsSpan().SequenceEqual(executablePath)) { exe = id; exeSeen = true; }
        }
        return (modules, exe);
    }

    /// <summary>The metadata with <c>modules</c> and <c>executable_build_id</c> set from the captured pages.</summary>
    public static CaptureMetadata Fill(CaptureMetadata metadata, ModulePages? pages, byte[]? executablePath)
    {
        if (pages is null || pages.Count == 0) return metadata;
        var (modules, exe) = Read(pages, executablePath);
        return metadata with
        {
            Modules = modules, ExecutableBuildId = exe,
            Warnings = pages.CutNote is { } note ? [.. metadata.Warnings, note] : metadata.Warnings,
        };
    }

    /// <summary>The GNU build-id (lowercase hex, 1 to 64 bytes) of the ELF64 little-endian image whose first bytes
    /// are <paramref name="page"/>: header → program headers inside the page → PT_NOTE inside the page →
    /// NT_GNU_BUILD_ID named "GNU". Null when any of it is missing, outside the page or implausible.</summary>
    public static string? BuildId(ReadOnlySpan<byte> page)
    {
        if (!IsElf64Le(page)) return null;
        ulong phoff = U64(page, 0x20);
        int phentsize = U16(page, 0x36), phnum = U16(page, 0x38);
        if (phentsize < 56 || phoff > (ulong)page.Length || (ulong)phentsize * (ulong)phnum > (ulong)page.Length - phoff) return null;
        for (int i = 0; i < phnum; i++)
        {
            var ph = page.Slice((int)phoff + i * phentsize, phentsize);
            if (U32(ph, 0) != PT_NOTE) continue;
            ulong off = U64(ph, 8), size = U64(ph, 32);
            if (off > (ulong)page.Length || size > (ulong)page.Length - off) continue;
            if (NoteBuildId(page.Slice((int)off, (int)size)) is { } id) return id;
        }
        return null;
    }

    private static string? NoteBuildId(ReadOnlySpan<byte> notes)
    {
        int pos = 0;
        while (notes.Length - pos >= 12)
        {
            uint namesz = U32(notes, pos), descsz = U32(notes, pos + 4), type = U32(notes, pos + 8);
            long descPos = pos + 12L + Align4(namesz);
            if (namesz > (uint)notes.Length || descsz > (uint)notes.Length || descPos + descsz > notes.Length) return null;
            if (type == NT_GNU_BUILD_ID && namesz == 4 && notes.Slice(pos + 12, 4).SequenceEqual("GNU\0"u8) && descsz is >= 1 and <= MaxBuildIdBytes)
                return Convert.ToHexStringLower(notes.Slice((int)descPos, (int)descsz));
            long next = descPos + Align4(descsz);
            if (next > notes.Length) return null;
            pos = (int)next;
        }
        return null;
    }

    /// <summary>NT_FILE of a note segment: count, page size, count × (start, end, page offset), then the paths.</summary>
    private static List<(ulong Start, ulong PageOffset, byte[] Path)> FileMappings(ReadOnlySpan<byte> notes)
    {
        var result = new List<(ulong, ulong, byte[])>();
        int pos = 0;
        while (notes.Length - pos >= 12)
        {
            uint namesz = U32(notes, pos), descsz = U32(notes, pos + 4), type = U32(notes, pos + 8);
            long descPos = pos + 12L + Align4(namesz);
            if (namesz > (uint)notes.Length || descsz > (uint)notes.Length || descPos + descsz > notes.Length) break;
            if (type == NT_FILE)
            {
                var desc = notes.Slice((int)descPos, (int)descsz);
                if (desc.Length < 16) break;
                ulong count = U64(desc, 0);
                if (count > MaxFileEntries || count > (ulong)(desc.Length - 16) / 24) break;
                int strings = 16 + (int)count * 24;
                for (int i = 0; i < (int)count && strings < desc.Length; i++)
                {
                    int nul = desc[strings..].IndexOf((byte)0);
                    if (nul < 0) nul = desc.Length - strings;
                    result.Add((U64(desc, 16 + i * 24), U64(desc, 16 + i * 24 + 16), desc.Slice(strings, nul).ToArray()));
                    strings += nul + 1;
                }
                break;
            }
            long next = descPos + Align4(descsz);
            if (next > notes.Length) break;
            pos = (int)next;
        }
        return result;
    }

    private static bool IsElf64Le(ReadOnlySpan<byte> p) => ElfCoreParser.IsElf64Le(p);
    private static long Align4(uint n) => (n + 3L) & ~3L;
    private static ushort U16(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt16LittleEndian(p[o..]);
    private static uint U32(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt32LittleEndian(p[o..]);
    private static ulong U64(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt64LittleEndian(p[o..]);
}
