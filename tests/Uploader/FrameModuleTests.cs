using CoreDump.Tests.Cdm;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

/// <summary>Frames carry module + build-id + offset, read from the core in the analysis sandbox; a frame without
/// a symbol signs as module@build-id+offset, so crashes of one stripped build at one place share a signature and
/// another build gets another.</summary>
[TestFixture]
public class FrameModuleTests
{
    private const string IdA = "0123456789abcdef0123456789abcdef01234567";

    [Test]
    public void A_frame_is_placed_in_its_module_by_load_address()
    {
        var files = new List<FileMapping>
        {
            new(0x5000, 0x6000, 0, "/opt/app/bin/appd"),
            new(0x6000, 0x9000, 0x1000, "/opt/app/bin/appd"),
            new(0x7f0000, 0x7f2000, 0x3000, "/opt/app/lib/libnohdr.so"),
        };
        var modules = new List<ModuleId> { new("/opt/app/bin/appd", 0x5000, IdA) };
        Assert.Multiple(() =>
        {
            Assert.That(FrameModules.Locate(0x6123, files, modules), Is.EqualTo(new FrameModule("/opt/app/bin/appd", IdA, 0x1123)));
            Assert.That(FrameModules.Locate(0x6123, files, modules)!.Key, Is.EqualTo($"appd@{IdA}+0x1123"));
            Assert.That(FrameModules.Locate(0x7f0010, files, modules)!.Key, Is.EqualTo("libnohdr.so+0x3010"), "no header in the core: file offset, no build-id");
            Assert.That(FrameModules.Locate(0x10, files, modules), Is.Null, "an address outside every mapping");
            Assert.That(FrameModules.Locate(null, files, modules), Is.Null);
            var forged = new List<ModuleId> { new("/opt/app/bin/appd", 0x5000, "ZZ\n--- x") };
            Assert.That(FrameModules.Locate(0x6123, files, forged)!.Key, Is.EqualTo("appd+0x1123"), "only lowercase hex counts as a build-id");
        });
    }

    [Test]
    public void A_frame_without_a_symbol_signs_as_module_at_build_id_plus_offset()
    {
        var at = new GdbFrame(0, 0x6123, "??", null, null) { Module = new FrameModule("/opt/app/bin/appd", IdA, 0x1123) };
        var named = at with { Function = "parse_request.constprop.0" };
        Assert.That(CrashSignature.FrameKey(at, []), Is.EqualTo($"appd@{IdA}+0x1123"));
        Assert.That(CrashSignature.FrameKey(named, []), Is.EqualTo("parse_request"), "a symbol wins");
        var other = at with { Module = at.Module! with { BuildId = "fedcba9876543210fedcba9876543210fedcba98" } };
        Assert.That(CrashSignature.Compute("/opt/app/bin/appd", "SIGSEGV", [at], []).Hash,
            Is.Not.EqualTo(CrashSignature.Compute("/opt/app/bin/appd", "SIGSEGV", [other], []).Hash), "another build, another signature");
        var moved = at with { Address = 0x9999123 };
        Assert.That(CrashSignature.Compute("/opt/app/bin/appd", "SIGSEGV", [at], []).Hash,
            Is.EqualTo(CrashSignature.Compute("/opt/app/bin/appd", "SIGSEGV", [moved], []).Hash), "ASLR moves only the address");
    }

    [Test]
    public void Stripped_binary_frames_carry_build_ids_and_sign_by_build()
    {
        using var env = new UploaderEnv();
        string d = Directory.CreateTempSubdirectory("cdmstrip-").FullName;
        File.WriteAllText(Path.Combine(d, "s.c"),
            "#ifdef VARIANT\nconst char variant[] = VARIANT;\n#endif\n" +
            "__attribute__((noinline)) static void poke(volatile int *p) { *p = 7; }\n" +
            "int main(int argc, char **argv) { (void)argv; poke(argc > 99 ? &argc : (int *)0); return 0; }\n");
        string exe = Path.Combine(d, "bidstrip");
        void Build(string variant) =>
            Proc.MustSh("cc -O1 -Wl,--build-id -DVARIANT='\"'\"$1\"'\"' -o bidstrip s.c && strip bidstrip", d, variant);
        string Crash(long time)
        {
            foreach (var old in Directory.GetFiles(d, "core*")) File.Delete(old);
            Proc.Sh("ulimit -c unlimited; ./bidstrip", d);
            string core = Directory.GetFiles(d, "core*").FirstOrDefault() ?? "";
            if (core.Length == 0) Assert.Inconclusive("the kernel wrote no core");
            var r = KernelLike.Capture(env.Root, "bidstrip", time, core);
            Assert.That(r.ExitCode, Is.EqualTo(0), env.Root.Log);
            string daemon = Directory.GetDirectories(env.Root.CorePath).Select(Path.GetFileName).Single(n => n!.StartsWith("bidstrip", StringComparison.Ordinal))!;
            return Path.Combine(env.Root.DaemonDir(daemon), env.Root.Archives(daemon).Single(a => a.Contains($".{time}.", StringComparison.Ordinal)));
        }

        Build("one");
        Assert.That(Proc.Run("readelf", ["-S", exe]).Stdout, Does.Not.Contain(".symtab"), "stripped");
        string idA = ModuleBuildIdTests.ReadelfBuildId(exe)!;
        string first = Crash(1_700_000_000), second = Crash(1_700_000_100);
        env.Run();
        Build("two");
        string idB = ModuleBuildIdTests.ReadelfBuildId(exe)!;
        Assert.That(idB, Is.Not.EqualTo(idA), "the rebuild has another build-id");
        string rebuilt = Crash(1_700_000_200);
        env.Run();

        string report = UploaderEnv.Report(first);
        string frames = GdbReportTests.Section(report, "frames by module");
        Assert.That(frames, Does.Match($@"(?m)^#0  0x[0-9a-f]{{16}}  bidstrip@{idA}\+0x[0-9a-f]+  \?\?$"), report);
        Assert.That(frames, Does.Match(@"(?m)^#\d+  0x[0-9a-f]{16}  libc\.so\.6@[0-9a-f]{40}\+0x[0-9a-f]+  "), "library frames carry their build-id too");
        string sig = ReportText.SignatureOf(report)!;
        Assert.That(report, Does.Contain($"signature-frames: bidstrip@{idA}+0x"));
        Assert.That(ReportText.SignatureOf(UploaderEnv.Report(second)), Is.EqualTo(sig), "the same stripped build crashing at the same place");
        string again = UploaderEnv.Report(rebuilt);
        Assert.That(again, Does.Contain($"signature-frames: bidstrip@{idB}+0x"), again);
        Assert.That(ReportText.SignatureOf(again), Is.Not.EqualTo(sig), "another build, another signature");
    }
}
