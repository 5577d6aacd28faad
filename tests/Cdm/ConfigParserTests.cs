using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

public class ConfigParserTests
{
    [Test]
    public void ParsesTheDesignsFile()
    {
        var r = CoreFileConfigParser.Parse("maxcore=1\ncorepath=/var/core\n");
        Assert.That(r.Warnings, Is.Empty);
        Assert.That(r.Config.MaxCore, Is.EqualTo(1));
        Assert.That(r.Config.CorePath, Is.EqualTo("/var/core"));
    }

    [Test]
    public void SpacesQuotesCommentsAndBlankLines()
    {
        var r = CoreFileConfigParser.Parse("# comment\n\n  maxcore = 5   # five\ncorepath = \"/srv/cores dir/\"\r\nkeepfree='2G'\nmaxuse=10%\n");
        Assert.That(r.Config.MaxCore, Is.EqualTo(5));
        Assert.That(r.Config.CorePath, Is.EqualTo("/srv/cores dir"));
        Assert.That(r.Config.KeepFree, Is.EqualTo(new KeepFree(2L << 30, 0)));
        Assert.That(r.Warnings, Has.Count.EqualTo(1).And.Some.Contains("maxuse"));
    }

    [TestCase("maxcore=-1")]
    [TestCase("maxcore=1.5")]
    [TestCase("maxcore=")]
    [TestCase("maxcore=99999999999999")]
    [TestCase("corepath=relative/path")]
    [TestCase("corepath=/var/../etc")]
    [TestCase("keepfree=95%")]
    [TestCase("compression=0")]
    public void BadValuesKeepDefaults(string line)
    {
        var r = CoreFileConfigParser.Parse(line);
        Assert.That(r.Config, Is.EqualTo(CoreFileConfig.Defaults));
        Assert.That(r.Warnings, Has.Count.EqualTo(1).And.Some.Contains("bad value"));
    }

    [Test]
    public void DuplicateKeysWarnAndTheLaterCounts()
    {
        var r = CoreFileConfigParser.Parse("maxcore=2\nmaxcore=4\n");
        Assert.That(r.Config.MaxCore, Is.EqualTo(4));
        Assert.That(r.Warnings, Has.Some.Contains("duplicate key maxcore"));
    }

    [Test]
    public void GarbageNeverThrows()
    {
        var rng = new Random(1);
        for (int i = 0; i < 2000; i++)
        {
            var chars = new char[rng.Next(0, 200)];
            for (int j = 0; j < chars.Length; j++) chars[j] = (char)rng.Next(0, 128);
            var r = CoreFileConfigParser.Parse(new string(chars));
            Assert.That(r.Config.MaxCore, Is.InRange(0, 1000));
            Assert.That(r.Config.CorePath, Does.StartWith("/"));
        }
    }

    [TestCase("100", 100L)]
    [TestCase("4K", 4096L)]
    [TestCase("2M", 2L << 20)]
    [TestCase("1g", 1L << 30)]
    [TestCase("3GB", 3L << 30)]
    public void Sizes(string text, long bytes)
    {
        Assert.That(SizeValue.TryParse(text, out long b), Is.True);
        Assert.That(b, Is.EqualTo(bytes));
    }
}
