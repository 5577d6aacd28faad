using System.Formats.Tar;
using System.Text;
using CoreDump.Cdm.Archive;
using CoreDump.Native;

namespace CoreDump.Tests.Cdm;

public class TarFramingTests
{
    [Test]
    public void HeaderIsPosixUstarOwnedByRoot()
    {
        var h = TarFraming.Header("x.core", 12345, FileModes.Mode0600, DateTimeOffset.FromUnixTimeSeconds(1732540000));
        Assert.That(h, Has.Length.EqualTo(512));
        Assert.That(TarFraming.ReadSize(h), Is.EqualTo(12345));
        Assert.That(Encoding.ASCII.GetString(h, 100, 8), Is.EqualTo("0000600\0"));
        Assert.That(Encoding.ASCII.GetString(h, 257, 8), Is.EqualTo("ustar\0" + "00"), "POSIX magic and version");
        Assert.That(Encoding.ASCII.GetString(h, 265, 5), Is.EqualTo("root\0"));
        Assert.That(Encoding.ASCII.GetString(h, 297, 5), Is.EqualTo("root\0"));
        Assert.That((char)h[156], Is.EqualTo('0'));
        // the checksum: sum of all bytes with the checksum field as spaces, six octal digits, NUL, space
        var copy = (byte[])h.Clone();
        copy.AsSpan(148, 8).Fill((byte)' ');
        int sum = copy.Sum(b => (int)b);
        Assert.That(Encoding.ASCII.GetString(h, 148, 8), Is.EqualTo(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 "));
    }

    /// <summary>For a plain entry the header is exactly GNU tar's, in POSIX (pax, here without the atime/ctime
    /// records it would add) and in ustar format; a 190-byte name split into prefix and name too.</summary>
    [TestCase("posix", "x.core")]
    [TestCase("ustar", "x.core")]
    [TestCase("ustar", "long")]
    public void HeaderIsByteForByteGnuTars(string format, string which)
    {
        const long mtime = 1732540000;
        string name = which == "long" ? new string('a', 40) + "/" + new string('b', 40) + "/" + new string('c', 90) + ".core" : which;
        var data = Encoding.ASCII.GetBytes("hello\n");
        var dir = Directory.CreateTempSubdirectory("targnu-").FullName;
        try
        {
            var file = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, data);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var tarFile = Path.Combine(dir, "gnu.tar");
            string[] paxOption = format == "posix" ? ["--pax-option=delete=atime,delete=ctime"] : [];
            var r = Proc.Run("tar", [$"--format={format}", .. paxOption, "--owner=root:0", "--group=root:0",
                $"--mtime=@{mtime}", "-cf", tarFile, name], cwd: dir);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            var gnu = File.ReadAllBytes(tarFile)[..TarFraming.Block];
            var ours = TarFraming.Header(name, data.Length, FileModes.Mode0600, DateTimeOffset.FromUnixTimeSeconds(mtime));
            Assert.That(ours, Has.Length.EqualTo(TarFraming.Block));
            for (int i = 0; i < TarFraming.Block; i++)
                Assert.That(ours[i], Is.EqualTo(gnu[i]), $"byte {i}: ours {Encoding.ASCII.GetString(ours)} gnu {Encoding.ASCII.GetString(gnu)}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void RewritingTheSizeChangesOnlyTheSizeAndChecksum()
    {
        var before = TarFraming.Header("x.core", 100, FileModes.Mode0600, DateTimeOffset.FromUnixTimeSeconds(1732540000));
        foreach (long size in new[] { 0L, 99L, (8L << 30) - 1, 8L << 30, 1L << 40 })
        {
            var after = TarFraming.WithSize(before, size);
            Assert.That(after, Has.Length.EqualTo(before.Length));
            Assert.That(TarFraming.ReadSize(after), Is.EqualTo(size));
            for (int i = 0; i < after.Length; i++)
                if (i is < 124 or >= 136 and (< 148 or >= 156)) Assert.That(after[i], Is.EqualTo(before[i]), $"byte {i}");
            // back to the original size: the very same header again
            Assert.That(TarFraming.WithSize(after, 100), Is.EqualTo(before));
        }
    }

    [Test]
    public void AnUnsplittableLongNameGetsAPaxPathRecordAndUstarBlockLast()
    {
        string name = new string('n', 180) + ".core";
        var h = TarFraming.Header(name, 7, FileModes.Mode0600, DateTimeOffset.UnixEpoch);
        Assert.That(h.Length % TarFraming.Block, Is.EqualTo(0));
        Assert.That((char)h[156], Is.EqualTo('x'), "a pax extended header first");
        Assert.That(Encoding.ASCII.GetString(h, 257, 8), Is.EqualTo("ustar\0" + "00"));
        var records = Encoding.ASCII.GetString(h, TarFraming.Block, (int)TarFraming.ReadSize(h[..TarFraming.Block]));
        Assert.That(records, Is.EqualTo($"{records.Length} path={name}\n"));
        var last = h[^TarFraming.Block..];
        Assert.That((char)last[156], Is.EqualTo('0'));
        Assert.That(TarFraming.ReadSize(h), Is.EqualTo(7), "the size is the ustar block's");
    }

    [TestCase(0L)]
    [TestCase((8L << 30) - 1)]
    [TestCase(8L << 30)]
    [TestCase((8L << 30) + 1)]
    [TestCase(1L << 40)]
    public void SizesBeyondOctalUseBase256AndEveryReaderAgrees(long size)
    {
        var h = TarFraming.WithSize(TarFraming.Header("big.core", 1, FileModes.Mode0600, DateTimeOffset.UnixEpoch), size);
        Assert.That(TarFraming.ReadSize(h), Is.EqualTo(size));
        // an archive holding only the header: each reader lists the size (a header-only check; no data follows)
        var dir = Directory.CreateTempSubdirectory("tarhdr-").FullName;
        try
        {
            var file = Path.Combine(dir, "h.tar");
            File.WriteAllBytes(file, [.. h, .. new byte[1024]]);
            foreach (var (reader, r) in ListWithEveryReader(file, headerOnly: true))
            {
                Assert.That(r.Stdout, Does.Contain(size.ToString()), $"{reader}: {r.Stdout} {r.Stderr}");
                Assert.That(r.Stdout, Does.Contain("big.core"), reader);
            }
            using var tar = new TarReader(File.OpenRead(file));
            var entry = tar.GetNextEntry();
            Assert.That(entry!.Length, Is.EqualTo(size), ".NET TarReader (the uploader's reader)");
            Assert.That(entry.Format, Is.EqualTo(TarEntryFormat.Ustar));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestCase(100, "")]
    [TestCase(101, "d/")]
    [TestCase(180, "")]
    [TestCase(250, "")]
    public void LongNamesSurviveEveryReader(int length, string dirPrefix)
    {
        string name = dirPrefix + new string('n', length - dirPrefix.Length - 5) + ".core";
        var data = Encoding.ASCII.GetBytes("payload of a long-named member\n");
        var dir = Directory.CreateTempSubdirectory("tarname-").FullName;
        try
        {
            var file = Path.Combine(dir, "n.tar");
            var header = TarFraming.Header(name, data.Length, FileModes.Mode0600, DateTimeOffset.FromUnixTimeSeconds(1700000000));
            File.WriteAllBytes(file, [.. header, .. data, .. new byte[TarFraming.Padding(data.Length)], .. new byte[1024]]);
            foreach (var (reader, r) in ListWithEveryReader(file))
                Assert.That(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(), Does.EndWith(name), $"{reader}: {r.Stderr}");
            var x = Path.Combine(dir, "x");
            Directory.CreateDirectory(x);
            Assert.That(Proc.Run("busybox", ["tar", "-xf", file, "-C", x]).ExitCode, Is.EqualTo(0));
            Assert.That(File.ReadAllBytes(Path.Combine(x, name)), Is.EqualTo(data));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void PaxRecordLengthCountsItself()
    {
        foreach (int n in new[] { 1, 90, 93, 94, 95, 995, 996, 997 })
        {
            var rec = TarFraming.PaxRecord("path", Encoding.ASCII.GetBytes(new string('a', n)));
            var text = Encoding.ASCII.GetString(rec);
            Assert.That(int.Parse(text[..text.IndexOf(' ')]), Is.EqualTo(rec.Length), text);
        }
    }

    [Test]
    public void StoredMemberIsValidGzipAndFixedSize()
    {
        var data = new byte[512];
        new Random(5).NextBytes(data);
        var m = GzipMember.Stored(data);
        Assert.That(m, Has.Length.EqualTo(GzipMember.StoredLength(512)));
        var dir = Directory.CreateTempSubdirectory("gzm-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "m.gz"), m);
        Assert.That(Proc.Run("gzip", ["-t", Path.Combine(dir, "m.gz")]).ExitCode, Is.EqualTo(0));
        Assert.That(Proc.Run("gzip", ["-d", Path.Combine(dir, "m.gz")]).ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllBytes(Path.Combine(dir, "m")), Is.EqualTo(data));
        Directory.Delete(dir, true);
    }

    /// <summary>GNU tar, busybox tar and Python's tarfile each list <paramref name="file"/> verbosely. A
    /// header-only archive (a size with no data behind it) lists its entry but GNU tar then fails to seek past
    /// it ("rmtlseek not stopped at a record boundary"), so its exit status is not checked then.</summary>
    internal static IEnumerable<(string Reader, ProcResult Result)> ListWithEveryReader(string file, bool headerOnly = false)
    {
        var gnu = Proc.Run("tar", ["-tvf", file]);
        if (!headerOnly) Assert.That(gnu.ExitCode, Is.EqualTo(0), "GNU tar: " + gnu.Stderr);
        yield return ("GNU tar", gnu);
        var busybox = Proc.Run("busybox", ["tar", "-tvf", file]);
        Assert.That(busybox.ExitCode, Is.EqualTo(0), "busybox tar: " + busybox.Stderr);
        yield return ("busybox tar", busybox);
        // header-only: the first member alone (tarfile raises on the missing data when it looks for a second)
        var py = Proc.Run("python3", ["-c", "import sys, tarfile\nt = tarfile.open(sys.argv[1])\nm = t.next()\n" +
            "while m:\n  print(m.size, m.uname, m.name)\n  m = None if sys.argv[2] == '1' else t.next()", file, headerOnly ? "1" : "0"]);
        Assert.That(py.ExitCode, Is.EqualTo(0), "python tarfile: " + py.Stderr);
        yield return ("python tarfile", py);
    }
}
