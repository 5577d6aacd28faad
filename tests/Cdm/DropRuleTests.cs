using CoreDump.Cdm.Policy;
using CoreDump.Naming;

namespace CoreDump.Tests.Cdm;

public class DropRuleTests
{
    [TestCase(null, null, null)]
    [TestCase(1, null, null)]
    [TestCase(2, null, null)]
    [TestCase(0, null, "not_dumpable")]
    [TestCase(1, 0ul, "rlimit_core")]
    [TestCase(1, 1ul, "rlimit_core")]
    [TestCase(1, 4095ul, "rlimit_core")]
    [TestCase(1, 4096ul, null)]
    [TestCase(1, ulong.MaxValue, null)]
    [TestCase(0, 0ul, "not_dumpable")]
    public void OptOuts(int? dumpable, ulong? limit, string? reason) =>
        Assert.That(DropReason.FromProcess(dumpable, limit)?.Reason, Is.EqualTo(reason));

    [Test]
    public void SizeLimits()
    {
        Assert.That(DropReason.CoreLimitBytes(null), Is.EqualTo(0));
        Assert.That(DropReason.CoreLimitBytes(ulong.MaxValue), Is.EqualTo(0));
        Assert.That(DropReason.CoreLimitBytes(8192), Is.EqualTo(8192));
        Assert.That(DropReason.CoreLimitBytes(100), Is.EqualTo(0), "below a page: no core at all, not a cut");
        Assert.That(DropReason.Stricter(0, 0), Is.EqualTo(0));
        Assert.That(DropReason.Stricter(0, 5), Is.EqualTo(5));
        Assert.That(DropReason.Stricter(7, 0), Is.EqualTo(7));
        Assert.That(DropReason.Stricter(7, 5), Is.EqualTo(5));
        Assert.That(DropReason.MayWriteDropRecord(DropReason.FreeSpaceFloor - 1), Is.False);
        Assert.That(DropReason.MayWriteDropRecord(DropReason.FreeSpaceFloor), Is.True);
    }

    [TestCase("*", "", true)]
    [TestCase("*", "/usr/bin/x", true)]
    [TestCase("/usr/bin/gpg*", "/usr/bin/gpg-agent", true)]
    [TestCase("/usr/bin/gpg*", "/usr/bin/gp", false)]
    [TestCase("/usr/*/x", "/usr/local/bin/x", true)]
    [TestCase("a?c", "abc", true)]
    [TestCase("a?c", "ac", false)]
    [TestCase("a*b*c", "aXbYbZc", true)]
    [TestCase("a*b*c", "aXbYbZ", false)]
    [TestCase("exact", "exact", true)]
    [TestCase("exact", "exactly", false)]
    public void Globs(string pattern, string text, bool match) => Assert.That(CaptureRule.Glob(pattern, text), Is.EqualTo(match));

    [Test]
    public void GlobsStayLinearOnHostileInput() =>
        Assert.That(CaptureRule.Glob(string.Concat(Enumerable.Repeat("*a", 200)) + "b", new string('a', 5000)), Is.False);

    [TestCase("exe:/usr/bin/*", true)]
    [TestCase("uid:0", true)]
    [TestCase("name:sshd", true)]
    [TestCase(" name : sshd ", true)]
    [TestCase("uid:-1", false)]
    [TestCase("uid:root", false)]
    [TestCase("path:/x", false)]
    [TestCase("sshd", false)]
    [TestCase("exe:", false)]
    public void RuleSyntax(string text, bool valid) => Assert.That(CaptureRule.TryParse(text) is not null, Is.EqualTo(valid));

    [Test]
    public void IncludeWinsOverExclude()
    {
        var ex = new[] { CaptureRule.TryParse("uid:1000")!, CaptureRule.TryParse("exe:/opt/*")! };
        var inc = new[] { CaptureRule.TryParse("name:keepme")! };
        Assert.That(CaptureRules.Excluding(ex, inc, "/opt/a", 0, "x")?.ToString(), Is.EqualTo("exe:/opt/*"));
        Assert.That(CaptureRules.Excluding(ex, inc, "/usr/bin/a", 1000, "x")?.ToString(), Is.EqualTo("uid:1000"));
        Assert.That(CaptureRules.Excluding(ex, inc, "/opt/a", 1000, "keepme"), Is.Null);
        Assert.That(CaptureRules.Excluding(ex, inc, null, null, "x"), Is.Null, "unknown exe and uid match no such rule");
        Assert.That(CaptureRules.Excluding([], inc, "/opt/a", 0, "x"), Is.Null);
    }

    [Test]
    public void ConfigRulesAreRepeatableAndTyposOnlyWarn()
    {
        var r = CoreFileConfigParser.Parse("exclude=exe:/opt/*\nexclude=uid:1000\ninclude=name:k\nexclude=oops\nmaxdrop=2\n");
        Assert.That(r.Config.Exclude.Select(x => x.ToString()), Is.EqualTo(new[] { "exe:/opt/*", "uid:1000" }));
        Assert.That(r.Config.Include.Select(x => x.ToString()), Is.EqualTo(new[] { "name:k" }));
        Assert.That(r.Config.MaxDrop, Is.EqualTo(2));
        Assert.That(r.Warnings, Has.Count.EqualTo(1));
        Assert.That(r.Warnings[0], Does.Contain("line 4: bad value \"oops\" for exclude"));
        Assert.That(CoreFileConfig.Defaults.MaxDrop, Is.EqualTo(4));
    }

    [Test]
    public void DropRecordNamesAreArchivesOfTheirDirectoryButNeverCoreArchives()
    {
        const string d = "sshd@65534~1f2e3d4c";
        var drop = ArchiveName.Parse($"{d}.3.1700000000.drop.tar.gz", d);
        Assert.That(drop, Is.EqualTo(new ArchiveName(d, 3, 1700000000, Drop: true)));
        Assert.That(drop!.Value.FileName, Is.EqualTo($"{d}.3.1700000000.drop.tar.gz"));
        var core = ArchiveName.Parse($"{d}.3.1700000000.core.tar.gz", d);
        Assert.That(core!.Value.Drop, Is.False);
        Assert.That(core, Is.Not.EqualTo(drop));
        Assert.That(ArchiveName.Parse($"{d}.3.1700000000.drop.tar.gz.pending", d), Is.Null);
        Assert.That(ArchiveName.Parse($"{d}.x.1.drop.tar.gz", d), Is.Null);
        Assert.That(ArchiveName.Parse("sshd.1.5.drop.tar.gz", d), Is.Null, "another directory's");
        Assert.That(ArchiveName.ParseTemp($".{d}.2.5.77.drop.tmp", d), Is.EqualTo((new ArchiveName(d, 2, 5, true), 77)));
        Assert.That(ArchiveName.ParseTemp($".{d}.2.5.77.tmp", d), Is.EqualTo((new ArchiveName(d, 2, 5), 77)));
        Assert.That(new ArchiveName(d, 2, 5, true).TempName(77), Is.EqualTo($".{d}.2.5.77.drop.tmp"));
    }
}
