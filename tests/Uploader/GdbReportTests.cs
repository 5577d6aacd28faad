using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

/// <summary>Real gdb on real kernel-written cores of tests/programs/crasher.c, captured by the real cdm.</summary>
[TestFixture]
public class GdbReportTests
{
    [Test]
    public void Report_names_the_crashing_function_and_one_bug_shares_a_signature()
    {
        using var env = new UploaderEnv();
        string first = env.Capture("segv", 1_700_000_000);
        string second = env.Capture("segv", 1_700_000_100);
        string other = env.Capture("segv2", 1_700_000_200);
        string fpe = env.Capture("fpe", 1_700_000_300);
        env.Run();

        string report = UploaderEnv.Report(first);
        string backtrace = Section(report, "backtrace");
        Assert.That(backtrace, Does.Contain("crash_null_write"), report);
        Assert.That(backtrace, Does.Match(@"#0 .*crash_null_write"));
        Assert.That(report, Does.Contain("signal: 11 (SIGSEGV)"));
        Assert.That(report, Does.Contain("executable: " + Crashes.Crasher));
        Assert.That(report, Does.Contain("release: CoreDump Test OS 1.0"));
        foreach (var section in new[] { "registers", "faulting instruction", "shared libraries", "maps", "threads", "metadata" })
            Assert.That(Section(report, section), Is.Not.Empty.And.Not.EqualTo("(not available)"), section);
        Assert.That(Section(report, "faulting instruction"), Does.Contain("=> 0x"));
        Assert.That(Section(report, "backtrace"), Does.Not.Contain("@@cdm"));

        string sig = ReportText.SignatureOf(report)!;
        Assert.That(sig, Does.Match("^[0-9a-f]{32}$"));
        Assert.That(ReportText.SignatureOf(UploaderEnv.Report(second)), Is.EqualTo(sig), "two crashes of one bug");
        Assert.That(ReportText.SignatureOf(UploaderEnv.Report(other)), Is.Not.EqualTo(sig), "a different bug");
        Assert.That(Section(UploaderEnv.Report(other), "backtrace"), Does.Contain("crash_in_parser"));
        Assert.That(Section(UploaderEnv.Report(fpe), "backtrace"), Does.Contain("crash_divide"));
        Assert.That(UploaderEnv.Report(fpe), Does.Contain("SIGFPE"));
        Assert.That(UploaderEnv.Marker(first).Signature, Is.EqualTo(sig));
    }

    [Test]
    public void Abort_signature_skips_libc_machinery()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("abort", 1_700_000_000);
        env.Run();
        string report = UploaderEnv.Report(a);
        Assert.That(Section(report, "backtrace"), Does.Contain("crash_abort"));
        Assert.That(report, Does.Contain("signature-frames: crash_abort | main"));
    }

    [Test]
    public void Extracted_cores_are_removed_afterwards()
    {
        using var env = new UploaderEnv();
        env.Capture("segv", 1_700_000_000);
        env.Run();
        string work = Path.Combine(env.StateDir, "work");
        Assert.That(Directory.GetFileSystemEntries(work).Select(Path.GetFileName), Is.EqualTo(new[] { ".cdm-uploader-work" }), "only the work folder's sentinel");
    }

    public static string Section(string report, string title)
    {
        string head = $"\n--- {title} ---\n";
        int start = report.IndexOf(head, StringComparison.Ordinal);
        if (start < 0) return "";
        start += head.Length;
        int end = report.IndexOf("\n--- ", start, StringComparison.Ordinal);
        return (end < 0 ? report[start..] : report[start..end]).Trim();
    }
}
