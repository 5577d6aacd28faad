using System.Buffers.Binary;
using System.Text;

namespace CoreDump.Cdm.Intake;

/// <summary>Pure parsing of an ELF64 little-endian core's prefix: the declared size from the headers and
/// the process facts from the PT_NOTE segment (NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE).</summary>
internal static class ElfCoreParser
{
    public const int HeaderSize = 64;
    private const uint PT_LOAD = 1, PT_NOTE = 4;
    private const uint NT_PRSTATUS = 1, NT_PRPSINFO = 3, NT_AUXV = 6, NT_SIGINFO = 0x53494749, NT_FILE = 0x46494c45;
    private const ulong AT_PHDR = 3, AT_ENTRY = 9;
    private const int PN_XNUM = 0xffff;

    public readonly record struct Layout(long ProgramHeadersEnd, long NoteOffset, long NoteSize, long? ExpectedSize);

    public static bool IsElf64Le(ReadOnlySpan<byte> p) =>
        p.Length >= HeaderSize && p[0] == 0x7f && p[1] == (byte)'E' && p[2] == (byte)'L' && p[3] == (byte)'F' && p[4] == 2 && p[5] == 1;

    public static bool IsCore(ReadOnlySpan<byte> p) => IsElf64Le(p) && BinaryPrimitives.ReadUInt16LittleEndian(p[16..]) == 4;

    /// <summary>How many prefix bytes are needed before <see cref="ReadLayout"/> can answer.</summary>
    public static long ProgramHeadersEnd(ReadOnlySpan<byte> header)
    {
        ulong phoff = U64(header, 0x20);
        ushort phentsize = U16(header, 0x36), phnum = U16(header, 0x38);
        if (phnum == PN_XNUM || phentsize < 56 || phoff > int.MaxValue) return -1;
        return (long)phoff + (long)phentsize * phnum;
    }

    /// <summary>Reads the program headers; needs the prefix up to <see cref="ProgramHeadersEnd"/>.</summary>
    public static Layout? ReadLayout(ReadOnlySpan<byte> prefix)
    {
        if (!IsElf64Le(prefix)) return null;
        long phEnd = ProgramHeadersEnd(prefix);
        if (phEnd < 0 || phEnd > prefix.Length) return null;
        int phoff = (int)U64(prefix, 0x20);
        int phentsize = U16(prefix, 0x36), phnum = U16(prefix, 0x38);
        ulong end = (ulong)phEnd;
        long noteOff = 0, noteSize = 0;
        for (int i = 0; i < phnum; i++)
        {
            var ph = prefix.Slice(phoff + i * phentsize, phentsize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong off = U64(ph, 8), filesz = U64(ph, 32);
            if (off > long.MaxValue / 2 || filesz > long.MaxValue / 2) return new Layout(phEnd, 0, 0, null);
            if (type is PT_LOAD or PT_NOTE || filesz > 0) end = Math.Max(end, off + filesz);
            if (type == PT_NOTE && noteSize == 0) { noteOff = (long)off; noteSize = (long)filesz; }
        }
        ulong shoff = U64(prefix, 0x28);
        ushort shentsize = U16(prefix, 0x3A), shnum = U16(prefix, 0x3C);
        if (shoff != 0 && shnum > 0 && shoff < long.MaxValue / 2) end = Math.Max(end, shoff + (ulong)shentsize * shnum);
        return new Layout(phEnd, noteOff, noteSize, (long)end);
    }

    /// <summary>Parses the PT_NOTE segment's bytes into process facts.</summary>
    public static ElfCoreInfo ReadNotes(ReadOnlySpan<byte> notes, ElfCoreInfo info)
    {
        ulong entry = 0, phdr = 0;
        List<(ulong Start, ulong End, byte[] Path)> files = [];
        int threads = 0;
        int pos = 0;
        while (pos + 12 <= notes.Length)
        {
            uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(notes[pos..]);
            uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + 8)..]);
            long descPos = pos + 12 + Align4(namesz);
            long next = descPos + Align4(descsz);
            if (namesz > int.MaxValue || descsz > int.MaxValue || next > notes.Length) break;
            var desc = notes.Slice((int)descPos, (int)descsz);
            switch (type)
            {
                case NT_PRSTATUS when desc.Length >= 36:
                    threads++;
                    if (threads == 1)
                        info = info with { Pid = info.Pid ?? I32(desc, 32), Signal = info.Signal ?? NonZero(U16(desc, 12)) };
                    break;
                case NT_PRPSINFO when desc.Length >= 136:
                    info = info with
                    {
                        Uid = I32(desc, 16), Gid = I32(desc, 20), Pid = I32(desc, 24),
                        ProcessName = CString(desc.Slice(40, 16)), ProcessNameBytes = CBytes(desc.Slice(40, 16)),
                        CommandLine = CString(desc.Slice(56, 80)).TrimEnd(),
                    };
                    break;
                case NT_SIGINFO when desc.Length >= 24:
                    info = info with { Signal = NonZero(I32(desc, 0)) ?? info.Signal, FaultAddress = U64(desc, 16) };
                    break;
                case NT_AUXV:
                    for (int i = 0; i + 16 <= desc.Length; i += 16)
                    {
                        ulong key = U64(desc, i), val = U64(desc, i + 8);
                        if (key == AT_ENTRY) entry = val;
                        else if (key == AT_PHDR) phdr = val;
                    }
                    break;
                case NT_FILE:
                    files = ReadFileNote(desc);
                    break;
            }
            pos = (int)next;
        }
        byte[]? exe = null;
        ulong probe = entry != 0 ? entry : phdr;
        foreach (var f in files)
            if (probe >= f.Start && probe < f.End) { exe = f.Path; break; }
        exe ??= files.Count > 0 ? files[0].Path : null;
        var mapped = files.Select(f => Encoding.UTF8.GetString(f.Path)).Distinct().ToList();
        return info with
        {
            ExecutablePath = exe is null ? null : Encoding.UTF8.GetString(exe), ExecutablePathBytes = exe,
            Threads = threads, MappedFiles = mapped,
        };
    }

    private static List<(ulong, ulong, byte[])> ReadFileNote(ReadOnlySpan<byte> desc)
    {
        var result = new List<(ulong, ulong, byte[])>();
        if (desc.Length < 16) return result;
        ulong count = U64(desc, 0);
        if (count > (ulong)desc.Length / 24) return result;
        int strings = 16 + (int)count * 24;
        for (int i = 0; i < (int)count && strings < desc.Length; i++)
        {
            ulong start = U64(desc, 16 + i * 24), end = U64(desc, 16 + i * 24 + 8);
            int nul = desc[strings..].IndexOf((byte)0);
            if (nul < 0) nul = desc.Length - strings;
            result.Add((start, end, desc.Slice(strings, nul).ToArray()));
            strings += nul + 1;
        }
        return result;
    }

    private static long Align4(uint n) => (n + 3L) & ~3L;
    private static int? NonZero(int v) => v == 0 ? null : v;
    private static ushort U16(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt16LittleEndian(p[o..]);
    private static int I32(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadInt32LittleEndian(p[o..]);
    private static ulong U64(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt64LittleEndian(p[o..]);

    private static byte[] CBytes(ReadOnlySpan<byte> p)
    {
        int nul = p.IndexOf((byte)0);
        return (nul >= 0 ? p[..nul] : p).ToArray();
    }

    private static string CString(ReadOnlySpan<byte> p)
    {
        int nul = p.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? p[..nul] : p);
    }
}
