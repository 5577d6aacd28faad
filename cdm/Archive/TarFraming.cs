using System.Globalization;
using System.Text;

namespace CoreDump.Cdm.Archive;

/// <summary>POSIX ustar headers for CoreDump's streaming archives (magic "ustar\0", version "00", owner
/// root:root), read by GNU tar, busybox tar, Python's tarfile and .NET's TarReader alike. Entry data and
/// padding are written by the caller.
/// - A name over 100 bytes goes into the prefix field when it splits at a '/', else into a pax extended
///   header ("path=") ahead of the ustar block; the ustar block always comes last.
/// - A size of 8 GiB or more (beyond 11 octal digits) is written in base-256 (the GNU encoding, read by all
///   four readers; busybox ignores a pax "size=" record), so the size field keeps a fixed width and can be
///   rewritten in place (<see cref="WithSize"/>).</summary>
internal static class TarFraming
{
    public const int Block = 512;
    /// <summary>Sizes from here on need base-256: 11 octal digits hold at most 8 GiB - 1.</summary>
    public const long OctalSizeLimit = 1L << 33;

    private const int NameOffset = 0, NameLength = 100, ModeOffset = 100, UidOffset = 108, GidOffset = 116, SizeOffset = 124,
        MtimeOffset = 136, ChecksumOffset = 148, TypeOffset = 156, MagicOffset = 257, VersionOffset = 263, UnameOffset = 265,
        GnameOffset = 297, DevMajorOffset = 329, DevMinorOffset = 337, PrefixOffset = 345, PrefixLength = 155;

    /// <summary>The header block(s) for one regular file entry, owner root:root.</summary>
    public static byte[] Header(string name, long size, uint mode, DateTimeOffset mtime)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        long seconds = Math.Clamp(mtime.ToUnixTimeSeconds(), 0, (1L << 33) - 1);
        var (prefix, shortName) = SplitName(nameBytes);
        if (shortName is null)
        {
            // No ustar spelling holds the name: a pax header carries it; the ustar name field holds its start.
            byte[] record = PaxRecord("path", nameBytes);
            var pax = new byte[Block + Block * ((record.Length + Block - 1) / Block) + Block];
            Ustar(pax.AsSpan(0, Block), [], Encoding.ASCII.GetBytes("PaxHeader"), record.Length, 0x1A4, seconds, (byte)'x');
            record.CopyTo(pax.AsSpan(Block));
            Ustar(pax.AsSpan(pax.Length - Block), [], nameBytes.AsSpan(0, NameLength), 0, mode, seconds, (byte)'0');
            return WithSize(pax, size);
        }
        var header = new byte[Block];
        Ustar(header, prefix, shortName, 0, mode, seconds, (byte)'0');
        return WithSize(header, size);
    }

    /// <summary>Re-encodes the size field of the header's last (ustar) block: octal below
    /// <see cref="OctalSizeLimit"/>, base-256 from there on; the header's length never changes.</summary>
    public static byte[] WithSize(ReadOnlySpan<byte> header, long size)
    {
        var copy = header.ToArray();
        var last = copy.AsSpan(copy.Length - Block);
        WriteSize(last.Slice(SizeOffset, 12), size);
        Checksum(last);
        return copy;
    }

    public static long ReadSize(ReadOnlySpan<byte> header)
    {
        var field = header.Slice(header.Length - Block + SizeOffset, 12);
        if ((field[0] & 0x80) != 0)
        {
            long v = 0;
            for (int i = 1; i < 12; i++) v = (v << 8) | field[i];
            return v;
        }
        long n = 0;
        foreach (byte b in field) { if (b is < (byte)'0' or > (byte)'7') { if (n > 0 || b != (byte)' ') break; continue; } n = n * 8 + (b - '0'); }
        return n;
    }

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

    private static void Ustar(Span<byte> b, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> name, long size, uint mode, long mtime, byte type)
    {
        b.Clear();
        name.CopyTo(b.Slice(NameOffset, NameLength));
        WriteOctal(b.Slice(ModeOffset, 8), mode);
        WriteOctal(b.Slice(UidOffset, 8), 0);
        WriteOctal(b.Slice(GidOffset, 8), 0);
        WriteSize(b.Slice(SizeOffset, 12), size);
        WriteOctal(b.Slice(MtimeOffset, 12), mtime);
        b[TypeOffset] = type;
        "ustar\0"u8.CopyTo(b[MagicOffset..]);
        "00"u8.CopyTo(b[VersionOffset..]);
        "root"u8.CopyTo(b[UnameOffset..]);
        "root"u8.CopyTo(b[GnameOffset..]);
        WriteOctal(b.Slice(DevMajorOffset, 8), 0);
        WriteOctal(b.Slice(DevMinorOffset, 8), 0);
        prefix.CopyTo(b.Slice(PrefixOffset, PrefixLength));
        Checksum(b);
    }

    private static void WriteSize(Span<byte> field, long size)
    {
        if (size < OctalSizeLimit) { WriteOctal(field, size); return; }
        field.Clear();
        field[0] = 0x80;
        for (int i = 11; i >= 1; i--) { field[i] = (byte)(size & 0xff); size >>= 8; }
    }

    /// <summary>Zero-padded octal digits filling the field, then a NUL.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        string s = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        if (s.Length != field.Length - 1) throw new ArgumentOutOfRangeException(nameof(value));
        Encoding.ASCII.GetBytes(s).CopyTo(field);
        field[^1] = 0;
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
}
