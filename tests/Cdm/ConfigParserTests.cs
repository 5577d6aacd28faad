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
    [TestCase("compression=10")]
    [TestCase("compression=-1")]
    [TestCase("compression=fast")]
    [TestCase("compression=Auto")]
    [TestCase("maxcoresize=infinite")]
    [TestCase("ratelimit_burst=-1")]
    public void BadValuesKeepDefaults(string line)
    {
        var r = CoreFileConfigParser.Parse(line);
        Assert.That(r.Config, Is.EqualTo(CoreFileConfig.Defaults));
        Assert.That(r.Warnings, Has.Count.EqualTo(1).And.Some.Contains("bad value"));
    }

    [Test]
    public void CompressionIsAutoOrAFixedLevel()
    {
        Assert.That(CoreFileConfig.Defaults.Compression, Is.EqualTo(CompressionSetting.Adaptive));
        Assert.That(CoreFileConfig.Defaults.Compression.Auto, Is.True);
        var auto = CoreFileConfigParser.Parse("compression=auto\n");
        Assert.That(auto.Warnings, Is.Empty);
        Assert.That(auto.Config.Compression.Auto, Is.True);
        foreach (int level in new[] { 0, 1, 3, 4, 5, 6, 7, 8, 9 })
        {
            var r = CoreFileConfigParser.Parse($"compression={level}\n");
            Assert.That(r.Warnings, Is.Empty, $"level {level}");
            Assert.That(r.Config.Compression, Is.EqualTo(CompressionSetting.Fixed(level)));
            Assert.That((r.Config.Compression.Auto, r.Config.Compression.Level), Is.EqualTo((false, level)));
        }
    }

    [Test]
    public void ANumberIsThatFixedLevelTwoIncluded()
    {
        foreach (var line in new[] { "compression=2", "compression = '2'  # level 2 on every chunk" })
        {
            var r = CoreFileConfigParser.Parse(line + "\n");
            Assert.That(r.Config.Compression, Is.EqualTo(CompressionSetting.Fixed(2)), line);
            Assert.That(r.Warnings, Is.Empty);
        }
    }

    [Test]
    public void BadCompressionKeepsAutoAndSaysSo()
    {
        var r = CoreFileConfigParser.Parse("compression=fast\n");
        Assert.That(r.Config.Compression.Auto, Is.True);
        Assert.That(r.Warnings.Single(), Is.EqualTo("line 1: bad value \"fast\" for compression; keeping auto"));
        var later = CoreFileConfigParser.Parse("compression=7\ncompression=99\n");
        Assert.That(later.Config.Compression, Is.EqualTo(CompressionSetting.Fixed(7)), "a bad later line keeps the earlier value");
        Assert.That(later.Warnings, Has.Some.EqualTo("line 2: bad value \"99\" for compression; keeping 7"));
    }

    [Test]
    public void CompressionSettingSpellsItself()
    {
        Assert.That(CompressionSetting.Adaptive.ToString(), Is.EqualTo("auto"));
        Assert.That(CompressionSetting.Fixed(0).ToString(), Is.EqualTo("0"));
        Assert.That(CompressionSetting.Parse("9"), Is.EqualTo(CompressionSetting.Fixed(9)));
        Assert.That(CompressionSetting.Parse("09"), Is.Null);
        Assert.That(CompressionSetting.Parse(""), Is.Null);
        Assert.Throws<ArgumentOutOfRangeException>(() => CompressionSetting.Fixed(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => CompressionSetting.Fixed(-1));
    }

    [TestCase("unlimited")]
    [TestCase("0")]
    public void LimitsSayUnlimited(string value)
    {
        var r = CoreFileConfigParser.Parse($"maxcoresize={value}\nmaxuse={value}\nratelimit_burst={value}\nmaxcapturetime={value}\n");
        Assert.That(r.Warnings, Is.Empty);
        Assert.That((r.Config.MaxCoreSize, r.Config.MaxUse, r.Config.RateBurst, r.Config.MaxCaptureTime), Is.EqualTo((0L, 0L, 0, 0)));
    }

    [Test]
    public void UnlimitedIsOnlyForLimits()
    {
        // keys whose 0 is literal (keep none, no free space) or that have no "no limit" take no such word
        foreach (var key in new[] { "maxcore", "maxdrop", "keepfree", "ratelimit_interval", "compression" })
        {
            var r = CoreFileConfigParser.Parse($"{key}=unlimited\n");
            Assert.That(r.Config, Is.EqualTo(CoreFileConfig.Defaults), key);
            Assert.That(r.Warnings.Single(), Does.Contain($"bad value \"unlimited\" for {key}"));
        }
    }

    [Test]
    public void AWarningNamesAnUnlimitedValueInWords()
    {
        var r = CoreFileConfigParser.Parse("maxuse=lots\nmaxcapturetime=unlimited\nmaxcapturetime=never\n");
        Assert.That(r.Warnings, Has.Some.EqualTo("line 1: bad value \"lots\" for maxuse; keeping unlimited"));
        Assert.That(r.Warnings, Has.Some.EqualTo("line 3: bad value \"never\" for maxcapturetime; keeping unlimited"));
        Assert.That(r.Config.MaxCaptureTime, Is.EqualTo(0));
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
