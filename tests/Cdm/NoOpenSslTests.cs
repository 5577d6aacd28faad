namespace CoreDump.Tests.Cdm;

/// <summary>cdm must capture on a machine without OpenSSL (an appliance may lack libssl): the BCL's SHA-256
/// would dlopen it and abort the crash handler, losing the crash without a log line. The AOT cdm runs here
/// in a private mount namespace where libssl and libcrypto are replaced by /dev/null.</summary>
public class NoOpenSslTests
{
    private const string HideOpenSsl =
        "for f in /usr/lib/x86_64-linux-gnu/libssl* /usr/lib/x86_64-linux-gnu/libcrypto* /lib/x86_64-linux-gnu/libssl* /lib/x86_64-linux-gnu/libcrypto*; do " +
        "[ -f \"$f\" ] && mount --bind /dev/null \"$f\"; done; " +
        "if command -v openssl >/dev/null && openssl version >/dev/null 2>&1; then echo openssl-still-loads; exit 99; fi; exec \"$@\"";

    private static ProcResult CaptureWithoutOpenSsl(TempRoot root, string name, string core) =>
        Proc.Run("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", HideOpenSsl, "sh",
            "/usr/bin/env", "-i", $"CDM_CONFIG={root.ConfigFile}", $"CDM_OS_RELEASE={root.OsRelease}", "/bin/sh", "-c",
            "exec \"$0\" \"$@\" <\"$CORE\" 1>&- 2>&-".Replace("$CORE", core), Paths.Cdm, name, "1732540001"]);

    [Test]
    public void A_real_core_outside_the_system_directories_is_captured()
    {
        if (Environment.UserName != "root") Assert.Ignore("needs root for a private mount namespace");
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        var r = CaptureWithoutOpenSsl(root, "crasher", crash.CorePath);
        Assert.That(r.Stdout, Does.Not.Contain("openssl-still-loads"), "OpenSSL was hidden");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout + r.Stderr + root.Log);
        Assert.That(crash.Daemon, Does.Contain("~"), "the directory name needed a hash");
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1), root.Log);
    }

    [Test]
    public void A_name_long_enough_to_be_shortened_is_captured()
    {
        if (Environment.UserName != "root") Assert.Ignore("needs root for a private mount namespace");
        using var root = new TempRoot();
        string input = Path.Combine(root.Dir, "garbage");
        File.WriteAllBytes(input, new byte[4096]);
        string name = new string('\u00e9', 40); // 80 bytes, 240 escaped characters: cut with a hash
        var r = CaptureWithoutOpenSsl(root, name, input);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout + r.Stderr + root.Log);
        Assert.That(Directory.GetDirectories(root.CorePath).Select(Path.GetFileName), Has.Some.Contains("~"), root.Log);
    }
}
