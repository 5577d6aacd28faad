namespace CoreDump.Tests.Cdm;

/// <summary>cdm tells cdm-uploader.path about a new archive by creating or touching <c>&lt;corepath&gt;/.new</c>
/// (root-only, never through a symlink, never at the cost of the capture).</summary>
public class UploaderTriggerTests
{
    private static string Trigger(TempRoot root) => Path.Combine(root.CorePath, ".new");

    [Test]
    public void A_capture_creates_the_trigger_and_the_next_one_touches_it()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 3);
        Assert.That(KernelLike.Capture(root, "trig", 1732541001, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
        var info = new FileInfo(Trigger(root));
        Assert.That(info.Exists, root.Log);
        Assert.That(info.LinkTarget, Is.Null);
        Assert.That(File.GetUnixFileMode(Trigger(root)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "mode 0600");
        Assert.That(CoreDump.Native.Posix.TryLStatAt(CoreDump.Native.SafeDirectoryHandle.CurrentDirectory, Trigger(root), out var st) && st.Uid == 0, "root's");

        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Trigger(root), old);
        var before = DateTime.UtcNow.AddSeconds(-2);
        Assert.That(KernelLike.Capture(root, "trig", 1732541002, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(File.GetLastWriteTimeUtc(Trigger(root)), Is.GreaterThan(before), "the capture set its mtime to now");
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(2));
    }

    [Test]
    public void A_drop_record_touches_the_trigger_too()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        Assert.That(KernelLike.Capture(root, "trig", 1732541003, crash.CorePath, "d=0").ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(root.DropRecords(crash.Daemon), Has.Length.EqualTo(1), root.Log);
        Assert.That(File.Exists(Trigger(root)), "the uploader reports drop records as well");
    }

    [Test]
    public void Nothing_published_touches_nothing()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 0);
        Assert.That(KernelLike.Capture(root, "trig", 1732541004, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(File.Exists(Trigger(root)), Is.False, "maxcore=0 keeps nothing, so there is nothing for the uploader");
    }

    /// <summary>A symlink planted at the trigger's name (by whoever could write there) points at a file whose
    /// mtime and content are watched: cdm must not follow it, and the capture must succeed regardless.</summary>
    [TestCase("symlink")]
    [TestCase("fifo")]
    [TestCase("directory")]
    public void A_planted_trigger_is_not_followed_and_the_capture_succeeds(string kind)
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        Directory.CreateDirectory(root.CorePath, (UnixFileMode)0x1ED);
        string target = Path.Combine(root.Dir, "victim-file");
        File.WriteAllText(target, "precious\n");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(target, old);
        switch (kind)
        {
            case "symlink": File.CreateSymbolicLink(Trigger(root), target); break;
            case "fifo": Proc.MustSh("mkfifo \"$1\"", null, Trigger(root)); break;
            default: Directory.CreateDirectory(Trigger(root)); break;
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var r = KernelLike.Capture(root, "trig", 1732541005, crash.CorePath);
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "a FIFO without a reader must not hold cdm");
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1), "the capture is stored whatever sits at the trigger's name");
        Assert.That(File.ReadAllText(target), Is.EqualTo("precious\n"));
        Assert.That(File.GetLastWriteTimeUtc(target), Is.EqualTo(old), "the symlink's target is untouched");
        Assert.That(root.Log, Does.Contain("uploader trigger").And.Contain("not touched"), "the log says why");
        if (kind == "symlink") Assert.That(new FileInfo(Trigger(root)).LinkTarget, Is.EqualTo(target), "the link itself is left as it was");
    }
}
