using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace CoreDump.Uploader.Analysis;

/// <summary>What an archive holds, read by streaming cdm's own framing (gzip → tar) once, with .NET's memory-safe
/// readers. The core's bytes are only ever copied, never parsed here (this runs as root). A damaged archive
/// (truncated gzip, a bad tar header) throws <see cref="InvalidDataException"/> with the archive named.</summary>
internal static class ArchiveMembers
{
    private const int SmallMemberMax = 1 << 20;

    /// <summary>The members' names and sizes and the two small members, without the core's bytes.</summary>
    internal sealed record Listing(string? CoreMember, long CoreBytes, string OsRelease, string MetadataJson)
    {
        public MetadataView Metadata => MetadataView.Parse(MetadataJson);
    }

    /// <summary>Reads the archive through, skipping the core's data: cost is proportional to the archive.</summary>
    public static Listing Read(string path, CancellationToken ct = default) =>
        Stream(path, (name, entry) => null, ct).Listing;

    /// <summary>Whether the archive still has a core member; reads only up to that member's header (cdm writes
    /// os-release first, then the core, then metadata.json).</summary>
    public static bool HasCore(string path)
    {
        using var file = OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        try
        {
            while (tar.GetNextEntry() is { } entry)
                if (IsCore(entry)) return true;
            return false;
        }
        catch (Exception e) when (IsDamage(e)) { throw Damaged(path, e); }
    }

    /// <summary>Copies the core member to <paramref name="output"/>; returns the listing (CoreMember null when the
    /// archive has none: a drop record, or a core removed after delivery). The byte count is checked against
    /// the member's header.</summary>
    public static Listing CopyCore(string path, Stream output, CancellationToken ct = default) =>
        Stream(path, (name, entry) => CopyMember(entry, output, ct), ct).Listing;

    /// <summary>Copies one member's data, exactly as many bytes as its header says (else the archive is damaged).</summary>
    public static long CopyMember(TarEntry entry, Stream output, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        long copied = 0;
        int n;
        while ((n = entry.DataStream!.Read(buffer)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            copied += n;
            if (copied > entry.Length) throw new InvalidDataException("core member longer than its header says");
            output.Write(buffer, 0, n);
        }
        if (copied != entry.Length) throw new InvalidDataException($"core member ended after {copied} of {entry.Length} bytes");
        return copied;
    }

    /// <summary>Writes a copy of the archive without its core (os-release and metadata.json, same headers) to
    /// <paramref name="output"/>: what `remove_core_after_delivery` keeps.</summary>
    public static Listing WriteWithoutCore(string path, Stream output, CancellationToken ct = default)
    {
        var kept = new List<(TarEntry Header, byte[] Data)>();
        var result = Stream(path, (name, entry) => null, ct, (entry, data) => kept.Add((entry, data)));
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (h, data) in kept)
            {
                var e = new UstarTarEntry(TarEntryType.RegularFile, h.Name)
                {
                    Mode = h.Mode, Uid = h.Uid, Gid = h.Gid, ModificationTime = h.ModificationTime,
                    UserName = (h as PosixTarEntry)?.UserName ?? "root", GroupName = (h as PosixTarEntry)?.GroupName ?? "root",
                    DataStream = new MemoryStream(data),
                };
                tar.WriteEntry(e);
            }
        }
        return result.Listing;
    }

    private static (Listing Listing, long Copied) Stream(string path, Func<string, TarEntry, long?> onCore, CancellationToken ct,
        Action<TarEntry, byte[]>? onSmall = null)
    {
        string osRelease = "", metadata = "";
        string? core = null;
        long coreBytes = 0;
        using var file = OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        try
        {
            while (tar.GetNextEntry() is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                if (entry.Name is "os-release" or "metadata.json")
                {
                    var data = ReadSmall(entry.DataStream);
                    if (entry.Name == "os-release") osRelease = Encoding.UTF8.GetString(data); else metadata = Encoding.UTF8.GetString(data);
                    onSmall?.Invoke(entry, data);
                }
                else if (core is null && IsCore(entry))
                {
                    core = entry.Name;
                    coreBytes = onCore(entry.Name, entry) ?? entry.Length;
                }
            }
            // a gzip stream cut at a member boundary reads as a clean end: only metadata.json, written last, proves the end
            if (metadata.Length == 0) throw new InvalidDataException("no metadata.json (cdm writes it last): the archive is cut short");
        }
        catch (Exception e) when (IsDamage(e)) { throw Damaged(path, e); }
        return (new Listing(core, coreBytes, osRelease, metadata), coreBytes);
    }

    private static bool IsCore(TarEntry e) =>
        e.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && e.Name.EndsWith(".core", StringComparison.Ordinal) && !e.Name.Contains('/');

    private static bool IsDamage(Exception e) => e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException
        or IOException { InnerException: InvalidDataException };

    private static InvalidDataException Damaged(string path, Exception e) =>
        new($"{path} is damaged (not a complete gzip-compressed tar as cdm writes it): {e.Message}", e);

    private static FileStream OpenRead(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.SequentialScan,
    });

    private static byte[] ReadSmall(Stream s)
    {
        var buf = new byte[SmallMemberMax];
        int n = 0, r;
        while (n < buf.Length && (r = s.Read(buf, n, buf.Length - n)) > 0) n += r;
        return buf[..n];
    }
}
