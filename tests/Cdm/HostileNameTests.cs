using System.Text;
using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

/// <summary>%e belongs to the crashed process. When the input has no ELF notes (so %e is all cdm knows of the
/// name), every name must land in its own directory inside corepath. With a real core the name comes from the
/// core's notes instead (IdentityTests).</summary>
public class HostileNameTests
{
    private static IEnumerable<byte[]> Names() =>
    [
        ".."u8.ToArray(), "."u8.ToArray(), "a!b"u8.ToArray(), "a b c"u8.ToArray(), "*"u8.ToArray(), "!.."u8.ToArray(),
        [0x01, 0x1b, (byte)'[', (byte)'3', (byte)'1', (byte)'m', 0x7f], [0xff, 0xfe, (byte)'x'], "123456789012345"u8.ToArray(),
        [], "a%20b"u8.ToArray(), "a b"u8.ToArray(), "-P=1"u8.ToArray(), ".hidden"u8.ToArray(), "a\nb"u8.ToArray(),
        "~x"u8.ToArray(), "%unknown"u8.ToArray(),
    ];

    [Test]
    public void EachHostileNameGetsItsOwnDirectoryInsideCorepath()
    {
        using var root = new TempRoot();
        var input = Path.Combine(root.Dir, "notacore");
        File.WriteAllText(input, "not an ELF core: the name can only come from %e\n");
        var dirs = new Dictionary<string, byte[]>();
        long t = 3000;
        foreach (var raw in Names())
        {
            var r = KernelLike.Capture(root, raw, input, (t++).ToString());
            Assert.That(r.ExitCode, Is.EqualTo(0), $"{DaemonName.Printable(raw)}: {root.Log}");
        }
        // nothing was created outside corepath, and the tree has exactly one level of daemon directories
        Assert.That(Directory.GetFileSystemEntries(root.Dir).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "core", "core_file.conf", "log", "notacore", "os-release" }));
        var created = Directory.GetDirectories(root.CorePath).Select(d => Path.GetFileName(d)!).ToList();
        Assert.That(created, Has.Count.EqualTo(Names().Count()), "distinct raw names map to distinct directories: " + string.Join(" ", created));
        foreach (var d in created)
        {
            Assert.That(d, Does.Not.StartWith("."));
            Assert.That(d.Any(char.IsControl), Is.False);
            Assert.That(Directory.GetDirectories(Path.Combine(root.CorePath, d)), Is.Empty);
            var archive = Directory.GetFiles(Path.Combine(root.CorePath, d), "*.core.tar.gz").Single();
            var meta = new ArchiveCheck(archive).Metadata;
            Assert.That(meta.DaemonDir, Is.EqualTo(d));
            // unverified identity: the escaped %e plus the hash of the unknown executable
            Assert.That(d, Does.EndWith("~" + DaemonIdentity.Hash("", false)));
            Assert.That(meta.SafeName, Is.EqualTo(d[..^9]));
            dirs[d] = DaemonName.FromSafe(d[..^9])!;
        }
        // the raw bytes are recoverable: the escaping is lossless
        Assert.That(dirs.Values.Select(v => Convert.ToHexString(v)).Order(), Is.EqualTo(Names().Select(Convert.ToHexString).Order()));
    }

    [Test]
    public void NamesThatDifferOnlyInEscapedBytesDoNotCollide()
    {
        var names = new[] { "a b", "a%20b", "a_b", "a!b", "a/b", "a\u00e9b" }.Select(n => DaemonName.ToSafe(n)).ToList();
        Assert.That(names.Distinct().Count(), Is.EqualTo(names.Count), string.Join(" ", names));
        Assert.That(DaemonName.ToSafe(Encoding.UTF8.GetBytes("..")), Is.EqualTo("%2E."));
    }
}
