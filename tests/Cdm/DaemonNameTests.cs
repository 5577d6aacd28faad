using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

public class DaemonNameTests
{
    [TestCase("nginx", "nginx")]
    [TestCase("..", "%2E.")]
    [TestCase(".", "%2E")]
    [TestCase("a!b", "a%21b")]
    [TestCase("a b*", "a%20b%2A")]
    [TestCase("", DaemonName.Placeholder)]
    [TestCase("python3.11", "python3.11")]
    [TestCase("%", "%25")]
    public void Escapes(string raw, string safe) => Assert.That(DaemonName.ToSafe(raw), Is.EqualTo(safe));

    [Test]
    public void TenThousandRandomNamesAreSafeAndInjective()
    {
        var rng = new Random(42);
        var seen = new Dictionary<string, string>();
        for (int i = 0; i < 10_000; i++)
        {
            var raw = new byte[rng.Next(0, 16)];
            rng.NextBytes(raw);
            if (i % 10 == 0) raw = "..!./."u8.ToArray()[..rng.Next(0, 6)];
            string safe = DaemonName.ToSafe(raw);
            Assert.That(safe, Is.Not.EqualTo(".").And.Not.EqualTo("..").And.Not.Contain("/"));
            Assert.That(safe, Does.Not.StartWith("."));
            Assert.That(safe.All(c => c is > ' ' and < (char)127), safe);
            Assert.That(safe.Length, Is.LessThanOrEqualTo(DaemonName.MaxLength));
            Assert.That(DaemonName.LooksSafe(safe), safe);
            string hex = Convert.ToHexString(raw);
            if (seen.TryGetValue(safe, out var other)) Assert.That(other, Is.EqualTo(hex), $"collision on {safe}");
            seen[safe] = hex;
            Assert.That(Convert.ToHexString(DaemonName.FromSafe(safe)!), Is.EqualTo(hex));
        }
    }

    [Test]
    public void LongNamesAreCutWithAHashThatKeepsThemApart()
    {
        var a = DaemonName.ToSafe(new string('*', 100));
        var b = DaemonName.ToSafe(new string('*', 99) + "+");
        Assert.That(a.Length, Is.LessThanOrEqualTo(DaemonName.MaxLength));
        Assert.That(a, Is.Not.EqualTo(b));
        Assert.That(a, Does.Contain("~"));
        Assert.That(a[..a.IndexOf('~')], Does.Match("^(%2A)+$"), "never cut inside an escape");
    }
}
