using System.Text.Json;
using CoreDump.Metadata;

namespace CoreDump.Tests.Support;

/// <summary>Verifies archives with the real gzip and GNU tar.</summary>
internal sealed class ArchiveCheck
{
    public string Archive { get; }
    public string ExtractDir { get; }
    public string Listing { get; }

    public ArchiveCheck(string archive)
    {
        Archive = archive;
        var gz = Proc.Run("gzip", ["-t", archive]);
        Assert.That(gz.ExitCode, Is.EqualTo(0), $"gzip -t {archive}: {gz.Stderr}");
        var list = Proc.Run("tar", ["-tzvf", archive], env: new Dictionary<string, string> { ["TZ"] = "UTC" });
        Assert.That(list.ExitCode, Is.EqualTo(0), $"tar -tzvf {archive}: {list.Stderr}");
        Listing = list.Stdout;
        ExtractDir = Directory.CreateTempSubdirectory("cdmx-").FullName;
        var x = Proc.Run("tar", ["-xzf", archive, "-C", ExtractDir]);
        Assert.That(x.ExitCode, Is.EqualTo(0), $"tar -xzf: {x.Stderr}");
    }

    public string[] Members => Listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToArray();

    public string CoreFile => Directory.GetFiles(ExtractDir, "*.core").Single();

    public CaptureMetadata Metadata =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(ExtractDir, "metadata.json")), MetadataJsonContext.Default.CaptureMetadata)!;

    public static bool SameBytes(string a, string b) => Proc.Run("cmp", ["-s", a, b]).ExitCode == 0;
}
