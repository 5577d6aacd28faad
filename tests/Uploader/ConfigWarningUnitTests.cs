using CoreDump.Uploader;
using CoreDump.Uploader.Config;

namespace CoreDump.Tests.Uploader;

/// <summary>Configuration text → configuration, typed warnings or the refusal, without touching a file.</summary>
[TestFixture]
public class ConfigWarningUnitTests
{
    private const string Path = "/etc/cdm/uploader.toml";

    [Test]
    public void Unknown_keys_are_warnings_of_their_own_kind_shown_on_the_terminal()
    {
        var loaded = ConfigLoader.Parse("colour = \"blue\"\ngdb_timeout_seconds = 7\n[[server]]\nurl = \"https://x.example/\"\nretries = 3\n", Path);
        Assert.That(loaded.Config.GdbTimeoutSeconds, Is.EqualTo(7));
        Assert.That(loaded.Warnings.Select(w => (w.Kind, w.Key)),
            Is.EqualTo(new[] { (ConfigWarningKind.UnknownKey, (string?)"colour"), (ConfigWarningKind.UnknownKey, (string?)"server[0].retries") }));
        Assert.That(loaded.Warnings.All(w => w.ShownOnTerminal), Is.True);
        Assert.That(loaded.Warnings[0].Message, Is.EqualTo($"{Path}: unknown key 'colour' ignored"));
    }

    [Test]
    public void A_clean_configuration_has_no_warnings() =>
        Assert.That(ConfigLoader.Parse("corepath = \"/var/core\"\nreport_detail = \"locals\"\n", Path).Warnings, Is.Empty);

    [Test]
    public void A_missing_file_is_logged_but_not_shown()
    {
        var w = new ConfigWarning(ConfigWarningKind.MissingFile, null, "x not found");
        Assert.That(w.ShownOnTerminal, Is.False);
    }

    [TestCase("corepath = \n", "(1,")]
    [TestCase("gdb_timeout_seconds = 0\n", "gdb_timeout_seconds must be 1..86400")]
    [TestCase("report_detail = \"everything\"\n", "report_detail must be frames, locals or full")]
    [TestCase("work_dir = \"/\"\n", "work_dir must not be /")]
    public void A_refused_value_is_the_uploader_error_with_exit_78(string toml, string message)
    {
        var e = Assert.Throws<UploaderError>(() => ConfigLoader.Parse(toml, Path))!;
        Assert.That(e.ExitCode, Is.EqualTo(78));
        Assert.That(e.Message, Does.StartWith($"bad configuration: {Path}: ").And.Contain(message));
    }
}
