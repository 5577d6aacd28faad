using System.Text;
using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

public class InvocationParserTests
{
    private static List<byte[]> Args(params string[] a) => a.Select(s => Encoding.UTF8.GetBytes(s)).ToList();

    [Test]
    public void NameTimeAndOptions()
    {
        var inv = InvocationParser.Parse(Args("sshd", "1732540000", "P=42", "s=11", "E=!usr!sbin!sshd", "u="), 5);
        Assert.That(inv.SafeName, Is.EqualTo("sshd"));
        Assert.That(inv.CrashTime, Is.EqualTo(1732540000));
        Assert.That(inv.CrashTimeFromArgs, Is.True);
        Assert.That(inv.OptionInt("P"), Is.EqualTo(42));
        Assert.That(inv.Options, Does.Not.ContainKey("u"), "an unsupported specifier arrives empty");
        Assert.That(inv.Warnings, Is.Empty);
    }

    [Test]
    public void MissingEverythingUsesPlaceholderAndNow()
    {
        var inv = InvocationParser.Parse([], 99);
        Assert.That(inv.SafeName, Is.EqualTo(DaemonName.Placeholder));
        Assert.That(inv.CrashTime, Is.EqualTo(99));
        Assert.That(inv.Warnings, Has.Count.EqualTo(2));
    }

    [TestCase("")]
    [TestCase("-5")]
    [TestCase("12abc")]
    [TestCase("99999999999999999999")]
    public void BadTimeBecomesNow(string t)
    {
        var inv = InvocationParser.Parse(Args("d", t), 77);
        Assert.That(inv.CrashTime, Is.EqualTo(77));
        Assert.That(inv.CrashTimeFromArgs, Is.False);
        Assert.That(inv.Warnings, Has.Some.Contains("crash time"));
    }

    [Test]
    public void OldKernelsSplitANameWithSpaces()
    {
        var inv = InvocationParser.Parse(Args("my", "daemon", "1732540000", "P=1"), 0);
        Assert.That(Encoding.UTF8.GetString(inv.RawName), Is.EqualTo("my daemon"));
        Assert.That(inv.CrashTime, Is.EqualTo(1732540000));
    }

    [Test]
    public void TheFirstArgumentIsAlwaysTheName()
    {
        var inv = InvocationParser.Parse(Args("P=1", "10"), 0);
        Assert.That(Encoding.UTF8.GetString(inv.RawName), Is.EqualTo("P=1"));
        Assert.That(inv.Options, Is.Empty);
    }

    [Test]
    public void CmdlineBytesAreKeptExactly()
    {
        var args = InvocationParser.SplitCmdline([.. "/sbin/cdm\0"u8, 0xff, 0x01, .. "\0001\0"u8]);
        Assert.That(args, Has.Count.EqualTo(2));
        Assert.That(args[0], Is.EqualTo(new byte[] { 0xff, 0x01 }));
    }
}
