using System.Text.RegularExpressions;

namespace CoreDump.Tests.Cdm;

/// <summary>The version is written once, in Directory.Build.props; cdm's metadata, the uploader's --version and
/// the .deb all carry that value.</summary>
public class VersionTests
{
    private static string PropsVersion()
    {
        var props = File.ReadAllText(Path.Combine(Paths.RepoRoot, "Directory.Build.props"));
        var versions = Regex.Matches(props, "<Version>([^<]+)</Version>");
        Assert.That(versions, Has.Count.EqualTo(1), "one <Version> element");
        return versions[0].Groups[1].Value;
    }

    [Test]
    public void CdmRecordsThePropsVersion()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        Assert.That(KernelLike.Capture(root, "ver", 4200, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
        var archive = Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single());
        Assert.That(new ArchiveCheck(archive).Metadata.CdmVersion, Is.EqualTo(PropsVersion()));
    }

    [Test]
    public void UploaderReportsThePropsVersion()
    {
        var r = Proc.Run(Paths.Uploader, ["--version"]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout.Trim(), Is.EqualTo(PropsVersion()));
    }

    [Test]
    public void PackageCarriesThePropsVersion()
    {
        if (Proc.Run("sh", ["-c", "command -v dpkg-deb"]).ExitCode != 0) Assert.Ignore("dpkg-deb missing");
        var outDir = Directory.CreateTempSubdirectory("cdm-deb-").FullName;
        try
        {
            var r = Proc.Run("bash", [Path.Combine(Paths.RepoRoot, "etc", "install.sh"), "package", Paths.BinDir, "--out", outDir]);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            var deb = Directory.GetFiles(outDir, "*.deb").Single();
            Assert.That(Proc.Run("dpkg-deb", ["-f", deb, "Version"]).Stdout.Trim(), Is.EqualTo(PropsVersion()));
        }
        finally { Directory.Delete(outDir, true); }
    }

    [Test]
    public void NoOtherFileSpellsTheVersion()
    {
        string version = PropsVersion();
        var sources = new[] { "cdm", "uploader", "shared", "etc" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(Paths.RepoRoot, d), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/") && (f.EndsWith(".cs") || f.EndsWith(".sh") || f.EndsWith(".csproj")));
        foreach (var file in sources)
            Assert.That(File.ReadAllText(file), Does.Not.Contain($"\"{version}\""), file);
    }
}
