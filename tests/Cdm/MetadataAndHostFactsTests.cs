using System.Text;
using System.Text.Json;
using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Publish;
using CoreDump.Metadata;

namespace CoreDump.Tests.Cdm;

/// <summary>What cdm writes cheaply must still be what its readers expect.</summary>
public class MetadataAndHostFactsTests
{
    private static CaptureMetadata Full() => new()
    {
        FormatVersion = 2, CdmVersion = "9.9.9", Argv = ["cdm", "a b\\x01"], RawName = "a b", SafeName = "a_b", DaemonDir = "a_b~1234",
        IdentityVerified = true, Slot = 3, CoreMember = "x.core", DropReason = "disk_guard", DropDetail = "full",
        CrashTime = 1700000000, CrashTimeFromArgs = true, CaptureStarted = DateTimeOffset.FromUnixTimeMilliseconds(1700000000123),
        CaptureFinished = DateTimeOffset.FromUnixTimeMilliseconds(1700000001456), Options = new() { ["maxcore"] = "2" },
        KernelRelease = "6.1.0", Hostname = "h", CoreBytesReceived = 10, CoreBytesStored = 9, CoreBytesExpected = 11,
        Truncated = true, TruncatedReason = "limit", IsElfCore = true, Pid = 42, NamespacePid = 7, ForeignNamespace = true,
        Cgroup = "0::/x", Dumpable = 2, Signal = 11, Uid = 1000, Gid = 1000, ProcessName = "p", CommandLine = "p -x",
        ExecutablePath = "/usr/bin/p", FaultAddress = 0xdeadbeef, Threads = 8, MappedFiles = ["/usr/bin/p"],
        ExecutableBuildId = "ab12", Modules = [new MappedModule { Path = "/usr/bin/p", Start = 0x400000, BuildId = "ab12" }],
        SuppressedSinceLast = 5, Warnings = ["w"],
    };

    /// <summary>Strings a crashed process controls: quotes, backslashes, control bytes, HTML-sensitive and
    /// non-ASCII characters, which both writers must escape the same way.</summary>
    private static CaptureMetadata Hostile()
    {
        const string nasty = "q\"b\\c\u0001\u001f<>&'+\u007f é 漢 \U0001F600 \ud800";
        return Full() with
        {
            Argv = ["cdm", nasty, ""], RawName = nasty, ProcessName = nasty, CommandLine = nasty, Cgroup = nasty,
            Options = new() { [nasty] = nasty, ["b"] = "" }, MappedFiles = [nasty, "/x"], Warnings = [nasty, "w2"],
            Modules = [new MappedModule { Path = nasty, Start = ulong.MaxValue }, new MappedModule { Path = "/b", Start = 1, BuildId = "cd" }],
            FaultAddress = ulong.MaxValue, CoreBytesExpected = long.MaxValue, Pid = int.MinValue,
        };
    }

    [Test]
    public void TheExampleSetsEveryProperty()
    {
        // a property added to CaptureMetadata must be set here, so the writers are compared on it too
        var full = Full();
        var empty = new CaptureMetadata();
        foreach (var p in typeof(CaptureMetadata).GetProperties().Where(p => p.Name != "EqualityContract"))
        {
            object? value = p.GetValue(full), unset = p.GetValue(empty);
            Assert.That(value, Is.Not.Null, p.Name);
            if (value is System.Collections.ICollection c) Assert.That(c, Is.Not.Empty, p.Name);
            else Assert.That(value, Is.Not.EqualTo(unset), p.Name);
        }
    }

    [Test]
    public void CdmsHandWrittenWriterMatchesTheSharedContext()
    {
        foreach (var m in new[] { Full(), new CaptureMetadata(), Hostile(), Full() with { Modules = null, Options = [] } })
        {
            string written = Encoding.UTF8.GetString(MetadataJson.Serialize(m));
            Assert.That(written, Is.EqualTo(JsonSerializer.Serialize(m, MetadataJsonContext.Default.CaptureMetadata)));
            var back = JsonSerializer.Deserialize(written, MetadataJsonContext.Default.CaptureMetadata)!;
            Assert.That(JsonSerializer.Serialize(back, MetadataJsonContext.Default.CaptureMetadata), Is.EqualTo(written), "round trip");
        }
        Assert.That(Encoding.UTF8.GetString(MetadataJson.Serialize(Full())), Does.Contain("\"executable_build_id\": \"ab12\""));
    }

    [TestCase(0)]
    [TestCase(300)]
    [TestCase(4095)]
    [TestCase(4096)]
    [TestCase(10_000)]
    [TestCase(HostFacts.MaxOsReleaseBytes)]
    [TestCase(HostFacts.MaxOsReleaseBytes + 5000)]
    public void OsReleaseIsReadWholeUpToTheLimit(int size)
    {
        var path = Path.GetTempFileName();
        try
        {
            var data = Enumerable.Range(0, size).Select(i => (byte)('a' + i % 26)).ToArray();
            File.WriteAllBytes(path, data);
            var (read, source) = HostFacts.OsRelease(path);
            Assert.That(source, Is.EqualTo(path));
            Assert.That(read, Is.EqualTo(data.Take(HostFacts.MaxOsReleaseBytes).ToArray()));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void OsReleaseFromAFileWithoutALength()
    {
        // /proc files report size 0: the content is still read (up to the limit), not cut at the reported size
        var (read, _) = HostFacts.OsRelease("/proc/self/status");
        Assert.That(Encoding.ASCII.GetString(read), Does.StartWith("Name:"));
        Assert.That(read, Has.Length.GreaterThan(100));
    }
}
