using CoreDump.Cdm.Archive;
using static CoreDump.Tests.Cdm.ChunkedGzipChunkTests;

namespace CoreDump.Tests.Cdm;

/// <summary>The published cdm with each deflate engine, run as the kernel runs it: with ISA-L (libisal2 is
/// installed here), switched off by CDM_DEFLATE_ENGINE=zlib, and with the library really absent (a private mount
/// namespace where libisal.so.2 is /dev/null, so the dlopen fails as on a machine without libisal2). Every
/// archive is read back by the real gzip and tar and must hold the input byte for byte.</summary>
public class DeflateEngineTests
{
    private const long Time = 1732540101;

    private static string Input(TempRoot root, string name)
    {
        // 12 MiB of random, text, zero and nearly-zero chunks: every branch of the level policy, many chunks.
        string path = Path.Combine(root.Dir, name);
        File.WriteAllBytes(path, Make(12L * ChunkedGzipWriter.DefaultChunkSize + 12345, Content.Mixed, ChunkedGzipWriter.DefaultChunkSize));
        return path;
    }

    /// <summary>Runs cdm on <paramref name="core"/> with an empty environment plus <paramref name="engine"/>
    /// (CDM_DEFLATE_ENGINE) if given, optionally inside a mount namespace where libisal.so.2 cannot load.</summary>
    private static ProcResult Capture(TempRoot root, string name, string core, string? engine = null, bool hideIsal = false)
    {
        string run = "exec env -i CDM_CONFIG=\"$1\" CDM_OS_RELEASE=\"$2\" $ENGINE \"$3\" \"$4\" \"$5\" <\"$6\" 1>&- 2>&-"
            .Replace("$ENGINE", engine is null ? "" : $"{IsalDeflate.EngineVariable}={engine}");
        string[] args = [root.ConfigFile, root.OsRelease, Paths.Cdm, name, Time.ToString(), core];
        if (!hideIsal) return Proc.Run("/bin/sh", ["-c", run, "sh", .. args]);
        const string hide =
            "n=0; for f in /usr/lib/x86_64-linux-gnu/libisal.so* /lib/x86_64-linux-gnu/libisal.so*; do " +
            "[ -f \"$f\" ] && mount --bind /dev/null \"$f\" && n=$((n+1)); done; " +
            "[ $n -gt 0 ] || { echo no-libisal-to-hide; exit 98; }; " +
            "python3 -c 'import ctypes; ctypes.CDLL(\"libisal.so.2\")' 2>/dev/null && { echo libisal-still-loads; exit 99; }; ";
        return Proc.Run("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", hide + run, "sh", .. args]);
    }

    private static string Archive(TempRoot root, string name)
    {
        string dir = Directory.GetDirectories(root.CorePath).Single(d => Path.GetFileName(d).StartsWith(name + "~", StringComparison.Ordinal));
        return Directory.GetFiles(dir, "*.core.tar.gz").Single();
    }

    private static void AssertHolds(string archive, string input)
    {
        var check = new ArchiveCheck(archive);
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, input), "the extracted core is the input, byte for byte");
        Assert.That(check.Members, Has.Length.EqualTo(3));
    }

    [Test]
    public void WithIsalTheArchiveIsValidAndTheLogSaysSo()
    {
        Assert.That(IsalDeflate.Available, Is.True, $"libisal2 is installed by build.sh deps ({IsalDeflate.Status})");
        using var root = new TempRoot();
        string input = Input(root, "mixed");
        var r = Capture(root, "isalcap", input);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout + r.Stderr + root.Log);
        Assert.That(root.Log, Does.Match(@"capture daemon=isalcap~\S+ .* deflate=isal outcome=stored"), root.Log);
        AssertHolds(Archive(root, "isalcap"), input);
    }

    [Test]
    public void ATinyCoreNeverLoadsTheLibrary()
    {
        // every chunk shorter than a sample goes to zlib, so an empty or tiny core does not pay for the dlopen
        using var root = new TempRoot(maxcore: 3);
        string tiny = Path.Combine(root.Dir, "tiny"), empty = Path.Combine(root.Dir, "empty");
        File.WriteAllBytes(tiny, Make(GzipMember.MinSampledLength - 4096, Content.Mixed, ChunkedGzipWriter.DefaultChunkSize));
        File.WriteAllBytes(empty, []);
        foreach (var (name, input) in new[] { ("eng-tiny", tiny), ("eng-empty", empty) })
        {
            var r = Capture(root, name, input);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout + r.Stderr + root.Log);
            Assert.That(root.Log, Does.Match($@"daemon={name}~\S+ .* deflate=zlib:small outcome=stored"), root.Log);
            AssertHolds(Archive(root, name), input);
        }
    }

    [Test]
    public void TheSwitchAndAMissingLibraryBothFallBackToZlib()
    {
        if (Environment.UserName != "root") Assert.Ignore("needs root for a private mount namespace");
        using var root = new TempRoot(maxcore: 3);
        string input = Input(root, "mixed");

        var isal = Capture(root, "eng-isal", input);
        var env = Capture(root, "eng-env", input, engine: "zlib");
        var gone = Capture(root, "eng-gone", input, hideIsal: true);
        foreach (var r in new[] { isal, env, gone }) Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout + r.Stderr + root.Log);
        Assert.That(root.Log, Does.Match(@"daemon=eng-isal~\S+ .* deflate=isal outcome=stored"), root.Log);
        Assert.That(root.Log, Does.Match(@"daemon=eng-env~\S+ .* deflate=zlib:env outcome=stored"), root.Log);
        Assert.That(root.Log, Does.Match(@"daemon=eng-gone~\S+ .* deflate=zlib:no-libisal outcome=stored"), root.Log);

        string a = Archive(root, "eng-isal"), b = Archive(root, "eng-env"), c = Archive(root, "eng-gone");
        foreach (var archive in new[] { a, b, c }) AssertHolds(archive, input);
        // The archives name the daemon inside (paths, metadata), so compare the compressed core streams' sizes:
        // zlib's two runs agree with each other and differ from ISA-L's.
        long sa = new FileInfo(a).Length, sb = new FileInfo(b).Length, sc = new FileInfo(c).Length;
        Assert.That(Math.Abs(sb - sc), Is.LessThan(256), $"zlib by switch {sb}, zlib without the library {sc}");
        Assert.That(Math.Abs(sa - sb), Is.GreaterThan(1024), $"ISA-L {sa} against zlib {sb}");
    }

    [Test]
    public void AnEmptyCoreIsCapturedWithEitherEngine()
    {
        using var root = new TempRoot(maxcore: 2);
        string empty = Path.Combine(root.Dir, "empty");
        File.WriteAllBytes(empty, []);
        Assert.That(Capture(root, "empty-isal", empty).ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(Capture(root, "empty-zlib", empty, engine: "zlib").ExitCode, Is.EqualTo(0), root.Log);
        AssertHolds(Archive(root, "empty-isal"), empty);
        AssertHolds(Archive(root, "empty-zlib"), empty);
    }
}
