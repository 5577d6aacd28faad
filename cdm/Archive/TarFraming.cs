using System.Globalization;
using System.Text;
using CoreDump.Native;

namespace CoreDump.Cdm.Archive;

/// <summary>POSIX ustar headers (IEEE 1003.1 pax format, ustar blocks) for CoreDump's streaming archives, owner
/// root:root, read by GNU tar, busybox tar, Python's tarfile and .NET's TarReader alike. For a plain entry the
/// block is byte for byte what GNU <c>tar --format=ustar</c> writes (and <c>--format=posix</c> when it adds no
/// atime/ctime records). Entry data and padding are written by the caller.
/// - Every numeric field is zero-padded octal ending in a NUL; the checksum is six octal digits, NUL, space.
/// - A name over 100 bytes goes into the prefix field when it splits at a '/', else into a pax extended
///   header ("path=") ahead of the ustar block; the ustar block always comes last.
/// - A size of 8 GiB or more (beyond 11 octal digits) is written in base-256 (the GNU encoding, read by all
///   four readers; busybox ignores a pax "size=" record). So the size field keeps a fixed width and the core's
///   header, written before its size is known, can be rewritten in place once it is (<see cref="WithSize"/>).</summary>
internal static class TarFraming
{
    public const int Block = 512;
    /// <summary>Sizes from here on need base-256: 11 octal digits hold at most 8 GiB - 1.</summary>
    public const long OctalSizeLimit = 1L << 33;

    // The ustar block: field offsets and lengths (POSIX.1-2017, pax "ustar Interchange Format").
    private const int NameOffset = 0, NameLength = 100, ModeOffset = 100, UidOffset = 108, GidOffset = 116,
        SizeOffset = 124, SizeLength = 12, MtimeOffset = 136, ChecksumOffset = 148, ChecksumLength = 8,
        TypeOffset = 156, MagicOffset = 257, VersionOffset = 263, UnameOffset = 265, GnameOffset = 297,
        DevMajorOffset = 329, DevMinorOffset = 337, PrefixOffset = 345, PrefixLength = 155;
    private const byte RegularFile = (byte)'0', PaxExtendedHeader = (byte)'x';
    private const UnixFileMode PaxHeaderMode = FileModes.Mode0644;
    private const long MaxOctalTime = (1L << 33) - 1;

    /// <summary>The header block(s) for one regular file entry, owner root:root.</summary>
    public static byte[] Header(string name, long size, UnixFileMode mode, DateTimeOffset mtime)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        byte[] path = Encoding.UTF8.GetBytes(name);
        long seconds = Math.Clamp(mtime.ToUnixTimeSeconds(), 0, MaxOctalTime);
        var (prefix, shortName) = SplitName(path);
        if (shortName is not null)
            return UstarBlock(prefix, shortName, size, mode, seconds, RegularFile);

        // No ustar spelling holds the name: a pax header carries it; the ustar name field holds its start.
        byte[] records = PaxRecord("path", path);
        return [
            .. UstarBlock([], "PaxHeader"u8, records.Length, PaxHeaderMode, seconds, PaxExtendedHeader),
            .. records, .. new byte[Padding(records.Length)],
            .. UstarBlock([], path.AsSpan(0, NameLength), size, mode, seconds, RegularFile),
        ];
    }

    /// <summary>The same header with another size in its last (ustar) block, and that block's checksum
    /// recomputed; its length never changes, so it can replace the header where it was written.</summary>
    public static byte[] WithSize(ReadOnlySpan<byte> header, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var copy = header.ToArray();
        var last = copy.AsSpan(copy.Length - Block);
        WriteSize(last.Slice(SizeOffset, SizeLength), size);
        WriteChecksum(last);
        return copy;
    }

    /// <summary>The size field of the header's last (ustar) block, octal or base-256.</summary>
    public static long ReadSize(ReadOnlySpan<byte> header)
    {
        var field = header.Slice(header.Length - Block + SizeOffset, SizeLength);
        long n = 0;
        if ((field[0] & 0x80) != 0)
        {
            foreach (byte b in field[1..]) n = (n << 8) | b;
            return n;
        }
        foreach (byte b in field)
        {
            if (b is >= (byte)'0' and <= (byte)'7') n = n * 8 + (b - '0');
            else if (b != (byte)' ' || n > 0) break;
        }
        return n;
    }

    /// <summary>Zero bytes after an entry's data up to the next block boundary.</summary>
    public static int Padding(long size) => (int)((Block - size % Block) % Block);

    /// <summary>Two zero blocks end a tar archive.</summary>
    public static ReadOnlySpan<byte> EndOfArchive => new byte[2 * Block];

    /// <summary>The ustar spelling of a name: (prefix, name) with name ≤ 100 and prefix ≤ 155 bytes split at a
    /// '/', or a null name when there is none.</summary>
    public static (byte[] Prefix, byte[]? Name) SplitName(byte[] name)
    {
        if (name.Length <= NameLength) return ([], name);
        for (int slash = Array.IndexOf(name, (byte)'/'); slash >= 0; slash = Array.IndexOf(name, (byte)'/', slash + 1))
        {
            if (slash > PrefixLength) break;
            if (slash > 0 && name.Length - slash - 1 is > 0 and <= NameLength) return (name[..slash], name[(slash + 1)..]);
        }
        return ([], null);
    }

    /// <summary>One pax record, "&lt;length&gt; key=value\n", whose decimal length counts itself.</summary>
    public static byte[] PaxRecord(string key, byte[] value)
    {
        int body = 1 + key.Length + 1 + value.Length + 1; // " key=value\n"
        int length = body + 1;
        while (length.ToString(CultureInfo.InvariantCulture).Length + body != length) length++;
        return [.. Encoding.ASCII.GetBytes($"{length} {key}="), .. value, (byte)'\n'];
    }

    /// <summary>One complete ustar block, checksum included.</summary>
    private static byte[] UstarBlock(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> name, long size, UnixFileMode mode, long mtime, byte type)
    {
        var b = new byte[Block];
        name.CopyTo(b.AsSpan(NameOffset, NameLength));
        WriteOctal(b.AsSpan(ModeOffset, 8), (uint)mode);
        WriteOctal(b.AsSpan(UidOffset, 8), 0);
        WriteOctal(b.AsSpan(GidOffset, 8), 0);
        WriteSize(b.AsSpan(SizeOffset, SizeLength), size);
        WriteOctal(b.AsSpan(MtimeOffset, 12), mtime);
        b[TypeOffset] = type;
        "ustar\0"u8.CopyTo(b.AsSpan(MagicOffset));
        "00"u8.CopyTo(b.AsSpan(VersionOffset));
        "root"u8.CopyTo(b.AsSpan(UnameOffset));
        "root"u8.CopyTo(b.AsSpan(GnameOffset));
        WriteOctal(b.AsSpan(DevMajorOffset, 8), 0);
        WriteOctal(b.AsSpan(DevMinorOffset, 8), 0);
        prefix.CopyTo(b.AsSpan(PrefixOffset, PrefixLength));
        WriteChecksum(b);
        return b;
    }

    /// <summary>Octal below <see cref="OctalSizeLimit"/>; from there on base-256: 0x80, then the size big-endian.</summary>
    private static void WriteSize(Span<byte> field, long size)
    {
        if (size < OctalSizeLimit) { WriteOctal(field, size); return; }
        field[0] = 0x80;
        for (int i = field.Length - 1; i >= 1; i--) { field[i] = (byte)size; size >>= 8; }
    }

    /// <summary>Zero-padded octal digits filling the field, then a NUL.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        string digits = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        if (digits.Length != field.Length - 1) throw new ArgumentOutOfRangeException(nameof(value));
        Encoding.ASCII.GetBytes(digits, field);
        field[^1] = 0;
    }

    /// <summary>The sum of the block's bytes, counting the checksum field as spaces: six octal digits, NUL, space.</summary>
    private static void WriteChecksum(Span<byte> block)
    {
        var field = block.Slice(ChecksumOffset, ChecksumLength);
        field.Fill((byte)' ');
        int sum = 0;
        foreach (byte b in block) sum += b;
        WriteOctal(field[..7], sum);
    }
}
