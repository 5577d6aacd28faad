using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using CoreDump.Native;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Analysis;

/// <summary>The archive's members, with the core extracted into a private folder.</summary>
internal sealed record ExtractedArchive(string? CoreFile, string OsRelease, string MetadataJson, MetadataView Metadata);

/// <summary>Streams an archive once (gzip → tar) into a private folder: the core goes to a file after a free-space
/// check against its declared size; os-release and metadata.json are read into memory (bounded). Runs as
/// root on untrusted bytes: only .NET's memory-safe readers, every size bounded.</summary>
internal static class CoreExtractor
{
    private const int SmallMemberMax = 1 << 20;

    public static ExtractedArchive Extract(ArchiveRef archive, string privateDir, long keepFreeBytes, CancellationToken ct)
    {
        string osRelease = "", metadataJson = "";
        string? core = null;
        using var file = File.OpenRead(archive.Path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            string name = entry.Name;
            if (name == "os-release") osRelease = ReadSmall(entry.DataStream);
            else if (name == "metadata.json") metadataJson = ReadSmall(entry.DataStream);
            else if (core is null && name.EndsWith(".core", StringComparison.Ordinal) && !name.Contains('/'))
                core = WriteCore(entry, privateDir, keepFreeBytes, ct);
        }
        return new ExtractedArchive(core, osRelease, metadataJson, MetadataView.Parse(metadataJson));
    }

    private static string WriteCore(TarEntry entry, string privateDir, long keepFreeBytes, CancellationToken ct)
    {
        long available = AvailableBytes(privateDir);
        if (entry.Length > available - keepFreeBytes)
            throw new IOException($"core of {entry.Length} bytes does not fit: {available} bytes free in {privateDir}, {keepFreeBytes} to keep free");
        string path = Path.Combine(privateDir, "core");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var output = new FileStream(path, options))
            ArchiveMembers.CopyMember(entry, output, ct);
        return path;
    }

    public static long AvailableBytes(string dir)
    {
        using var handle = Posix.OpenDirectoryAt(SafeDirectoryHandle.CurrentDirectory, dir, Posix.O_RDONLY);
        try { return Posix.FstatVfs(handle, dir).AvailableBytes; }
        catch (PosixException) { return long.MaxValue; } // unknown: the copy itself then meets ENOSPC, if any
    }

    private static string ReadSmall(Stream s)
    {
        var buf = new byte[SmallMemberMax];
        int n = 0, r;
        while (n < buf.Length && (r = s.Read(buf, n, buf.Length - n)) > 0) n += r;
        return Encoding.UTF8.GetString(buf, 0, n);
    }
}
