using System.Buffers.Binary;
using System.Text.RegularExpressions;
using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

/// <summary>Build-ids of the executable and of every mapped module, read from the ELF headers the kernel dumps
/// into the core: the pure page parser against real linked files and hostile pages, the stream capture against a
/// real core cut into any pieces, and a real capture by the published cdm against readelf's answer.</summary>
public class ModuleBuildIdTests
{
    private static string Dir => Directory.CreateTempSubdirectory("cdmbid-").FullName;

    /// <summary>readelf's answer for a file: the "Build ID:" of its notes, or null.</summary>
    internal static string? ReadelfBuildId(string file)
    {
        var r = Proc.Run("readelf", ["-n", file]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var m = Regex.Match(r.Stdout, @"Build ID: ([0-9a-f]+)");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static byte[] FirstPage(string file)
    {
        var all = File.ReadAllBytes(file);
        return all[..Math.Min(all.Length, 4096)];
    }

    [TestCase("sha1", 20)]
    [TestCase("md5", 16)]
    [TestCase("0x5a", 1)]
    [TestCase("0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 64)]
    public void BuildIdOfARealLinkedFileEqualsReadelfs(string style, int bytes)
    {
        string d = Dir;
        File.WriteAllText(Path.Combine(d, "p.c"), "int main(void) { return 0; }\n");
        File.WriteAllText(Path.Combine(d, "l.c"), "int f(int x) { return x + 1; }\n");
        Proc.MustSh("cc -O0 -Wl,--build-id=\"$1\" -o p p.c && cc -shared -fPIC -Wl,--build-id=\"$1\" -o libl.so l.c", d, style);
        foreach (var file in new[] { "p", "libl.so" })
        {
            string path = Path.Combine(d, file);
            // readelf refuses a build-id shorter than 2 bytes as malformed; the linker wrote exactly the given bytes
            string? expected = style.StartsWith("0x", StringComparison.Ordinal) ? style[2..] : ReadelfBuildId(path);
            if (bytes > 1) Assert.That(ReadelfBuildId(path), Is.EqualTo(expected), file);
            Assert.That(expected, Has.Length.EqualTo(bytes * 2), file);
            Assert.That(ModuleBuildIds.BuildId(FirstPage(path)), Is.EqualTo(expected), $"{file} linked with --build-id={style}");
        }
    }

    [Test]
    public void FileWithoutBuildIdHasNone()
    {
        string d = Dir;
        File.WriteAllText(Path.Combine(d, "p.c"), "int main(void) { return 0; }\n");
        Proc.MustSh("cc -O0 -Wl,--build-id=none -o p p.c", d);
        Assert.That(ReadelfBuildId(Path.Combine(d, "p")), Is.Null);
        Assert.That(ModuleBuildIds.BuildId(FirstPage(Path.Combine(d, "p"))), Is.Null);
    }

    /// <summary>A minimal ELF64 page: header, one PT_NOTE program header at 64, a GNU build-id note at 0x100.</summary>
    private static byte[] Page(byte[] id, int phoff = 64, int phnum = 1, int phentsize = 56, ulong noteOff = 0x100, ulong? noteSize = null,
        uint? namesz = null, uint? descsz = null, int length = 4096)
    {
        var p = new byte[length];
        var full = new byte[4096];
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }.CopyTo(full, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(full.AsSpan(16), 3);
        BinaryPrimitives.WriteUInt64LittleEndian(full.AsSpan(0x20), (ulong)phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(full.AsSpan(0x36), (ushort)phentsize);
        BinaryPrimitives.WriteUInt16LittleEndian(full.AsSpan(0x38), (ushort)phnum);
        int noteLen = 16 + ((id.Length + 3) & ~3);
        if (phoff + 56 <= 4096)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(full.AsSpan(phoff), 4);
            BinaryPrimitives.WriteUInt64LittleEndian(full.AsSpan(phoff + 8), noteOff);
            BinaryPrimitives.WriteUInt64LittleEndian(full.AsSpan(phoff + 32), noteSize ?? (ulong)noteLen);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(full.AsSpan(0x100), namesz ?? 4);
        BinaryPrimitives.WriteUInt32LittleEndian(full.AsSpan(0x104), descsz ?? (uint)id.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(full.AsSpan(0x108), 3);
        "GNU\0"u8.CopyTo(full.AsSpan(0x10C));
        id.CopyTo(full.AsSpan(0x110));
        full.AsSpan(0, Math.Min(length, 4096)).CopyTo(p);
        return p;
    }

    [Test]
    public void HostilePagesGiveNoBuildIdAndNeverThrow()
    {
        var id = new byte[] { 0xde, 0xad, 0xbe, 0xef };
        Assert.That(ModuleBuildIds.BuildId(Page(id)), Is.EqualTo("deadbeef"), "the well-formed page the cases below break");
        Assert.Multiple(() =>
        {
            Assert.That(ModuleBuildIds.BuildId(Page(id, length: 63)), Is.Null, "header cut short");
            Assert.That(ModuleBuildIds.BuildId(Page(id, length: 100)), Is.Null, "program headers cut off by the page's end");
            Assert.That(ModuleBuildIds.BuildId(Page(id, length: 0x112)), Is.Null, "note cut off by the page's end");
            Assert.That(ModuleBuildIds.BuildId(Page(id, phoff: 8192)), Is.Null, "program headers outside the page");
            Assert.That(ModuleBuildIds.BuildId(Page(id, phoff: 4090)), Is.Null, "program headers running past the page");
            Assert.That(ModuleBuildIds.BuildId(Page(id, phnum: 0xffff)), Is.Null, "a table far larger than the page");
            Assert.That(ModuleBuildIds.BuildId(Page(id, phentsize: 0xffff)), Is.Null, "an entry size larger than the page");
            Assert.That(ModuleBuildIds.BuildId(Page(id, phentsize: 8)), Is.Null, "an entry size below ELF64's");
            Assert.That(ModuleBuildIds.BuildId(Page(id, noteOff: 1UL << 62)), Is.Null, "note offset outside the page");
            Assert.That(ModuleBuildIds.BuildId(Page(id, noteOff: ulong.MaxValue)), Is.Null, "note offset that wraps");
            Assert.That(ModuleBuildIds.BuildId(Page(id, noteSize: ulong.MaxValue)), Is.Null, "huge note segment");
            Assert.That(ModuleBuildIds.BuildId(Page(id, noteSize: 4096)), Is.Null, "note segment running past the page");
            Assert.That(ModuleBuildIds.BuildId(Page(id, descsz: 0xfffffff0)), Is.Null, "huge descriptor size");
            Assert.That(ModuleBuildIds.BuildId(Page(id, namesz: 0xfffffff0)), Is.Null, "huge name size");
            Assert.That(ModuleBuildIds.BuildId(Page(id, descsz: 0)), Is.Null, "an empty build-id");
            Assert.That(ModuleBuildIds.BuildId(Page(new byte[65])), Is.Null, "a build-id longer than 64 bytes");
            Assert.That(ModuleBuildIds.BuildId(Page(new byte[64])), Has.Length.EqualTo(128), "64 bytes is the longest accepted");
        });
        var rng = new Random(14);
        for (int i = 0; i < 2000; i++)
        {
            var page = Page(id);
            int flips = rng.Next(1, 12);
            for (int f = 0; f < flips; f++) page[rng.Next(0, 0x120)] = (byte)rng.Next(256);
            page = page[..rng.Next(0, 4097)];
            string? r = ModuleBuildIds.BuildId(page);
            if (r is not null) Assert.That(r, Does.Match("^([0-9a-f]{2}){1,64}$"));
        }
    }

    [Test]
    public void PagesAreCapturedFromARealCoreWhateverTheChunking()
    {
        var crash = Crashes.Cached("segv");
        var core = File.ReadAllBytes(crash.CorePath);
        var expected = ModuleBuildIds.Read(Feed(core, core.Length), null).Modules;
        Assert.That(expected.Select(m => m.Path), Has.Member(crash.Exe).And.Some.Contains("libc"));
        // (the shared test program may be rebuilt by a concurrent run, so the file on disk is not compared here;
        // RealCaptureListsTheBuildIdsOfTheExecutableAndItsLibrary compares with readelf on a private build)
        Assert.That(expected.Single(m => m.Path == crash.Exe).BuildId, Does.Match("^[0-9a-f]{40}$"));
        foreach (int piece in new[] { 1, 7, 4096, 65536, 1 << 20 })
        {
            var got = ModuleBuildIds.Read(Feed(core, piece), null).Modules;
            Assert.That(got, Is.EqualTo(expected), $"read in pieces of {piece}");
        }
    }

    private static ModulePages Feed(byte[] core, int piece)
    {
        var pages = ModuleBuildIds.Plan(core);
        for (int off = 0; off < core.Length; off += piece)
            pages.Observe(off, core.AsSpan(off, Math.Min(piece, core.Length - off)));
        return pages;
    }

    [Test]
    public void HeadsThatAreNotCoresPlanNothing()
    {
        Assert.That(ModuleBuildIds.Plan([]).Count, Is.EqualTo(0));
        Assert.That(ModuleBuildIds.Plan("not an ELF core, just text long enough to be read as a header........"u8).Count, Is.EqualTo(0));
        var core = File.ReadAllBytes(Crashes.Cached("segv").CorePath);
        Assert.That(ModuleBuildIds.Plan(core.AsSpan(0, 4096)).Count, Is.EqualTo(0), "notes beyond the head");
        var rng = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            var head = core[..Math.Min(core.Length, 64 * 1024)];
            for (int f = 0; f < 8; f++) head[rng.Next(0, head.Length)] = (byte)rng.Next(256);
            var pages = ModuleBuildIds.Plan(head);
            Assert.That(pages.Count, Is.LessThanOrEqualTo(ModuleBuildIds.MaxModules));
            pages.Observe(0, core);
            ModuleBuildIds.Read(pages, null);
        }
    }

    [Test]
    public void RealCaptureListsTheBuildIdsOfTheExecutableAndItsLibrary()
    {
        string d = Dir;
        File.WriteAllText(Path.Combine(d, "lib.c"), "void bid_crash(void) { *(volatile int *)0 = 1; }\n");
        File.WriteAllText(Path.Combine(d, "main.c"), "void bid_crash(void);\nint main(void) { bid_crash(); return 0; }\n");
        Proc.MustSh("cc -shared -fPIC -Wl,--build-id -o libbidcrash.so lib.c && " +
                    "cc -Wl,--build-id -o bidmain main.c -L. -lbidcrash -Wl,-rpath,\"$1\"", d, d);
        string exe = Path.Combine(d, "bidmain"), lib = Path.Combine(d, "libbidcrash.so");
        Proc.Sh("ulimit -c unlimited; ./bidmain", d);
        string corePath = Directory.GetFiles(d, "core*").FirstOrDefault() ?? "";
        if (corePath.Length == 0) Assert.Inconclusive("the kernel wrote no core");

        using var root = new TempRoot();
        var r = KernelLike.Capture(root, "bidmain", 1732540101, corePath);
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        string daemon = Directory.GetDirectories(root.CorePath).Select(Path.GetFileName).Single(n => n!.StartsWith("bidmain"))!;
        var meta = new ArchiveCheck(Path.Combine(root.DaemonDir(daemon), root.Archives(daemon).Single())).Metadata;

        string? exeId = ReadelfBuildId(exe), libId = ReadelfBuildId(lib);
        Assert.That(exeId, Is.Not.Null);
        Assert.That(meta.ExecutableBuildId, Is.EqualTo(exeId));
        Assert.That(meta.Modules, Is.Not.Null);
        Assert.That(meta.Modules!.Single(m => m.Path == exe).BuildId, Is.EqualTo(exeId));
        Assert.That(meta.Modules!.Single(m => m.Path == lib).BuildId, Is.EqualTo(libId));
        var libc = meta.Modules!.First(m => Path.GetFileName(m.Path).StartsWith("libc.so", StringComparison.Ordinal));
        Assert.That(libc.BuildId, Is.EqualTo(ReadelfBuildId(libc.Path)), "the system's libc");
        Assert.That(meta.Modules!.Select(m => m.Start), Is.Ordered.And.Unique);
        var maps = meta.MappedFiles;
        Assert.That(meta.Modules!.Select(m => m.Path), Is.SubsetOf(maps));
    }
}
