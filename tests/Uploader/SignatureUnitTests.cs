using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

[TestFixture]
public class SignatureUnitTests
{
    private const string Abort = """
        #0  __pthread_kill_implementation (threadid=<optimized out>, signo=signo@entry=6, no_tid=no_tid@entry=0) at ./nptl/pthread_kill.c:44
        #1  0x00007f2cb45fff4f in __pthread_kill_internal (signo=6, threadid=<optimized out>) at ./nptl/pthread_kill.c:78
        #2  0x00007f2cb45b0fb2 in __GI_raise (sig=sig@entry=6) at ../sysdeps/posix/raise.c:26
        #3  0x00007f2cb459b472 in __GI_abort () at ./stdlib/abort.c:79
        #4  0x000055f38ad5d214 in crash_abort () at /src/crasher.c:18
        #5  0x000055f38ad5d3e9 in main (argc=2, argv=0x7ffc0369ab18) at /src/crasher.c:43
        """;

    [Test]
    public void Frames_are_parsed_with_addresses_arguments_and_sources()
    {
        var f = GdbOutput.Frames(Abort);
        Assert.That(f.Select(x => x.Function), Is.EqualTo(new[] { "__pthread_kill_implementation", "__pthread_kill_internal", "__GI_raise", "__GI_abort", "crash_abort", "main" }));
        Assert.That(f[0].Address, Is.Null);
        Assert.That(f[4].Address, Is.EqualTo(0x000055f38ad5d214UL));
        Assert.That(f[4].Source, Is.EqualTo("/src/crasher.c:18"));
    }

    [Test]
    public void Library_frames_without_symbols_and_cpp_names_are_parsed()
    {
        var f = GdbOutput.Frames("""
            #0  0x00007f0000001234 in ?? () from /lib/libfoo.so.1
            #1  0x0000555500001000 in std::vector<int, std::allocator<int> >::at (this=0x1, __n=5) at v.h:3
            #2  <signal handler called>
            #3  (anonymous namespace)::Parser::run (this=0x0) at p.cc:9
            """);
        Assert.That(f[0].Function, Is.EqualTo("??"));
        Assert.That(f[0].Library, Is.EqualTo("/lib/libfoo.so.1"));
        Assert.That(f[1].Function, Is.EqualTo("std::vector<int, std::allocator<int> >::at"));
        Assert.That(f[2].Function, Is.EqualTo(GdbFrame.SignalHandlerCalled));
        Assert.That(f[3].Function, Is.EqualTo("(anonymous namespace)::Parser::run"));
    }

    [Test]
    public void Only_the_first_thread_listing_counts()
    {
        var f = GdbOutput.Frames("#0  a () at x.c:1\n#1  0x1 in b () at x.c:2\n\nThread 2 (LWP 5):\n#0  c () at x.c:3\n");
        Assert.That(f.Select(x => x.Function), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void Signature_skips_abort_machinery_and_startup_frames()
    {
        var keys = CrashSignature.SignatureFrames(GdbOutput.Frames(Abort), []);
        Assert.That(keys, Is.EqualTo(new[] { "crash_abort", "main" }));
    }

    [Test]
    public void Signature_ignores_addresses_arguments_and_paths()
    {
        var a = GdbOutput.Frames("#0  0x0000555500001000 in f (x=1) at /a/x.c:3\n#1  0x0000555500002000 in main (argc=1) at /a/x.c:9\n");
        var b = GdbOutput.Frames("#0  0x00005600aaaa1000 in f (x=77) at /build/x.c:4\n#1  0x00005600aaaa2000 in main (argc=3) at /build/x.c:10\n");
        Assert.That(CrashSignature.Compute("/usr/bin/prog", "SIGSEGV", a, []).Hash, Is.EqualTo(CrashSignature.Compute("/opt/prog", "SIGSEGV", b, []).Hash));
    }

    [Test]
    public void Signature_differs_for_another_function_signal_or_program()
    {
        var a = GdbOutput.Frames("#0  f () at x.c:3\n#1  0x1 in main () at x.c:9\n");
        var other = GdbOutput.Frames("#0  g () at x.c:3\n#1  0x1 in main () at x.c:9\n");
        string h = CrashSignature.Compute("prog", "SIGSEGV", a, []).Hash;
        Assert.That(CrashSignature.Compute("prog", "SIGSEGV", other, []).Hash, Is.Not.EqualTo(h));
        Assert.That(CrashSignature.Compute("prog", "SIGBUS", a, []).Hash, Is.Not.EqualTo(h));
        Assert.That(CrashSignature.Compute("prog2", "SIGSEGV", a, []).Hash, Is.Not.EqualTo(h));
    }

    [Test]
    public void Frames_without_symbols_fall_back_to_module_and_offset_stable_under_aslr()
    {
        GdbMapping[] run1 = [new(0x7f0000000000, 0x7f0000010000, 0x2000, "/usr/lib/libfoo.so.1")];
        GdbMapping[] run2 = [new(0x7f5500000000, 0x7f5500010000, 0x2000, "/usr/lib/libfoo.so.1")];
        var f1 = GdbOutput.Frames("#0  0x00007f0000000123 in ?? () from /usr/lib/libfoo.so.1\n");
        var f2 = GdbOutput.Frames("#0  0x00007f5500000123 in ?? () from /usr/lib/libfoo.so.1\n");
        Assert.That(CrashSignature.SignatureFrames(f1, run1), Is.EqualTo(new[] { "libfoo.so.1+0x2123" }));
        Assert.That(CrashSignature.Compute("p", "SIGSEGV", f1, run1).Hash, Is.EqualTo(CrashSignature.Compute("p", "SIGSEGV", f2, run2).Hash));
    }

    [Test]
    public void Clone_suffixes_are_dropped() =>
        Assert.That(CrashSignature.FrameKey(new GdbFrame(0, 1, "parse.constprop.0", null, null), []), Is.EqualTo("parse"));

    [Test]
    public void Frames_above_a_signal_handler_are_not_the_crash()
    {
        var f = GdbOutput.Frames("#0  handler (s=11) at h.c:1\n#1  <signal handler called>\n#2  0x1 in bad () at b.c:2\n#3  0x2 in main () at m.c:3\n");
        Assert.That(CrashSignature.SignatureFrames(f, []), Is.EqualTo(new[] { "bad", "main" }));
    }

    [Test]
    public void Mappings_terminating_signal_and_warnings_are_read()
    {
        var maps = GdbOutput.Mappings("""
                      Start Addr           End Addr       Size     Offset objfile
                  0x55f38ad5c000     0x55f38ad5d000     0x1000        0x0 /tmp/gp/crasher
                  0x7f2cb459b000     0x7f2cb46f1000   0x156000    0x26000  r-xp   /usr/lib/x86_64-linux-gnu/libc.so.6
            """);
        Assert.That(maps, Has.Count.EqualTo(2));
        Assert.That(maps[1].Offset, Is.EqualTo(0x26000UL));
        Assert.That(maps[1].Objfile, Is.EqualTo("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        Assert.That(GdbOutput.TerminatingSignal("Core was generated by `x'.\nProgram terminated with signal SIGFPE, Arithmetic exception.\n"), Is.EqualTo("SIGFPE"));
        var w = GdbOutput.SignificantWarnings("warning: Section `.reg-xstate/1' in core file too small.\nwarning: core file may not match specified executable file.\nBFD: warning: /x/core is truncated: expected core file size >= 1, found: 0\n");
        Assert.That(w, Has.Count.EqualTo(2));
    }

    [Test]
    public void Sections_split_on_the_echoed_marks()
    {
        string nonce = GdbOutput.NewNonce();
        var s = GdbOutput.Sections($"pre\n{GdbOutput.SectionMark(nonce)}bt\n#0 f ()\n@@cdm-section-0000 regs\n{GdbOutput.SectionMark(nonce)}regs\nrax 0x0\n", nonce);
        Assert.That(s["bt"], Is.EqualTo("#0 f ()\n@@cdm-section-0000 regs"), "a mark without the run's nonce is text");
        Assert.That(s["regs"], Is.EqualTo("rax 0x0"));
    }
}
