namespace CoreDump.Tests.Uploader;

/// <summary>The outbox's size bound and free-space floor: beyond either, delivery is a retryable failure with
/// the reason in the marker; the report stays processed and nothing in the outbox is deleted to make room.</summary>
[TestFixture]
public class OutboxBoundsTests
{
    [Test]
    public void A_full_outbox_makes_delivery_wait_and_deletes_nothing()
    {
        using var env = new UploaderEnv("outbox_max_bytes = 8000");
        Directory.CreateDirectory(env.Outbox);
        string kept = Path.Combine(env.Outbox, "uncollected.report");
        File.WriteAllBytes(kept, new byte[5000]);
        string a = env.Capture("segv", 1_700_000_000);

        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 1, submitted 0, failed 1"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        var m = UploaderEnv.Marker(a);
        Assert.That(m.LastError, Does.Contain("full: it holds 5000 bytes").And.Contain("outbox_max_bytes = 8000").And.Contain("nothing is deleted"));
        Assert.That(m.Attempts, Is.EqualTo(1));
        Assert.That(m.NextAttempt, Is.GreaterThan(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        Assert.That(Directory.GetFiles(env.Outbox), Is.EqualTo(new[] { kept }));
        Assert.That(new FileInfo(kept).Length, Is.EqualTo(5000));
        Assert.That(env.Uploader("info", a).Stdout, Does.Contain("last-error: outbox "));

        env.WriteConfig("outbox_max_bytes = 1048576");
        Assert.That(env.Uploader("retry").ExitCode, Is.EqualTo(0));
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(File.Exists(kept));
        Assert.That(Directory.GetFiles(env.Outbox), Has.Length.EqualTo(2));
    }

    [Test]
    public void Too_little_free_space_makes_delivery_wait()
    {
        using var env = new UploaderEnv("outbox_keep_free_bytes = 4611686018427387904");
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.ExitCode, Is.EqualTo(0));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        Assert.That(UploaderEnv.Marker(a).LastError, Does.Contain("bytes free on its filesystem").And.Contain("outbox_keep_free_bytes = 4611686018427387904"));
        Assert.That(Directory.GetFiles(env.Outbox), Is.Empty);
    }
}
