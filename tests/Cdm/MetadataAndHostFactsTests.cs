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
        CdmVersion = "9.9.9", Argv = ["cdm", "a b\\x01"], RawName = "a b", SafeName = "a_b", DaemonDir = "a_b~1234",
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

    [Test]
    public void CdmsSerializationOnlyWriterMatchesTheSharedContext()
    {
        foreach (var m in new[] { Full(), new CaptureMetadata() })
        {
            string written = Encoding.UTF8.GetString(MetadataWriterContext.Serialize(m));
            Assert.That(written, Is.EqualTo(JsonSerializer.Serialize(m, MetadataJsonContext.Default.CaptureMetadata)));
            var back = JsonSerializer.Deserialize(written, MetadataJsonContext.Default.CaptureMetadata)!;
            Assert.That(JsonSerializer.Serialize(back, MetadataJsonContext.Default.CaptureMetadata), Is.EqualTo(written), "round trip");
        }
        Assert.That(Encoding.UTF8.GetString(MetadataWriterContext.Serialize(Full())), Does.Contain("\"executable_build_id\": \"ab12\""));
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
