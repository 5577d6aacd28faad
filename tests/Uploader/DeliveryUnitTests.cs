using CoreDump.Uploader.Delivery;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

[TestFixture]
public class DeliveryUnitTests
{
    [TestCase(200, "Delivered")]
    [TestCase(201, "Delivered")]
    [TestCase(204, "Delivered")]
    [TestCase(301, "Reject")]
    [TestCase(400, "Reject")]
    [TestCase(401, "Reject")]
    [TestCase(404, "Reject")]
    [TestCase(409, "Reject")]
    [TestCase(408, "Retry")]
    [TestCase(429, "Retry")]
    [TestCase(500, "Retry")]
    [TestCase(503, "Retry")]
    public void Status_is_classified(int status, string expected) =>
        Assert.That(DeliveryRules.Classify(status).ToString(), Is.EqualTo(expected));

    [Test]
    public void Servers_combine_first_success_wins_and_reject_only_when_all_refuse()
    {
        Assert.That(DeliveryRules.Combine([DeliveryVerdict.Retry, DeliveryVerdict.Delivered]), Is.EqualTo(DeliveryVerdict.Delivered));
        Assert.That(DeliveryRules.Combine([DeliveryVerdict.Reject, DeliveryVerdict.Retry]), Is.EqualTo(DeliveryVerdict.Retry));
        Assert.That(DeliveryRules.Combine([DeliveryVerdict.Reject, DeliveryVerdict.Reject]), Is.EqualTo(DeliveryVerdict.Reject));
        Assert.That(DeliveryRules.Combine([]), Is.EqualTo(DeliveryVerdict.Retry));
    }

    [Test]
    public void Retry_after_accepts_seconds_and_dates()
    {
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.That(DeliveryRules.ParseRetryAfter("120", now), Is.EqualTo(120));
        Assert.That(DeliveryRules.ParseRetryAfter("Wed, 01 Jan 2025 00:10:00 GMT", now), Is.EqualTo(600));
        Assert.That(DeliveryRules.ParseRetryAfter("soon", now), Is.Null);
        Assert.That(DeliveryRules.ParseRetryAfter(null, now), Is.Null);
    }

    [Test]
    public void Backoff_doubles_is_capped_and_jittered_within_half()
    {
        Assert.That(Enumerable.Range(1, 5).Select(Backoff.NominalDelay), Is.EqualTo(new long[] { 60, 120, 240, 480, 960 }));
        Assert.That(Backoff.NominalDelay(100), Is.EqualTo(Backoff.MaxSeconds));
        Assert.That(Backoff.Delay(3, 0.0), Is.EqualTo(120));
        Assert.That(Backoff.Delay(3, 0.999), Is.InRange(120, 240));
        Assert.That(Backoff.Delay(1, 0.5, retryAfterSeconds: 3600), Is.EqualTo(3600));
        Assert.That(Backoff.Delay(1, 0.5, retryAfterSeconds: 10 * 86400), Is.EqualTo(Backoff.MaxRetryAfterSeconds));
    }

    [Test]
    public void Queue_puts_failed_reports_behind_new_ones_and_skips_those_in_backoff()
    {
        var items = new[]
        {
            new QueueItem("old-failed", 100, new MarkerInfo { Attempts = 2, LastAttempt = 500 }),
            new QueueItem("new-b", 300, new MarkerInfo()),
            new QueueItem("failed-earlier", 50, new MarkerInfo { Attempts = 1, LastAttempt = 400 }),
            new QueueItem("new-a", 200, new MarkerInfo()),
            new QueueItem("waiting", 10, new MarkerInfo { Attempts = 1, LastAttempt = 900, NextAttempt = 2000 }),
        };
        Assert.That(QueueOrder.DueInOrder(items, now: 1000).Select(i => i.Key),
            Is.EqualTo(new[] { "new-a", "new-b", "failed-earlier", "old-failed" }));
    }

    [Test]
    public void Marker_content_is_optional()
    {
        Assert.That(MarkerInfo.Parse([]), Is.EqualTo(new MarkerInfo()));
        Assert.That(MarkerInfo.Parse("not json"u8), Is.EqualTo(new MarkerInfo()));
        var m = new MarkerInfo { ReportId = "ab", Attempts = 3, NextAttempt = 99 };
        Assert.That(MarkerInfo.Parse(m.ToJson()), Is.EqualTo(m));
        Assert.That(System.Text.Encoding.UTF8.GetString(m.ToJson()), Does.Contain("\"next_attempt\""));
    }

    [Test]
    public void Report_id_is_stable_and_distinct()
    {
        string a = ReportId.Derive("d", 1, 100, 2000, 42);
        Assert.That(ReportId.Derive("d", 1, 100, 2000, 42), Is.EqualTo(a));
        Assert.That(ReportId.Derive("d", 2, 100, 2000, 42), Is.Not.EqualTo(a));
        Assert.That(ReportId.LooksValid(a), Is.True);
    }

    [Test]
    public void Release_name_prefers_pretty_name() =>
        Assert.That(ReportText.ReleaseName("NAME=Debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n"), Is.EqualTo("Debian GNU/Linux 12"));
}

[TestFixture]
public class LeftoverUnitTests
{
    [TestCase(".crasher.1.17.core.tar.gz.pending.4242.w", true)]
    [TestCase(".0123abcd.report.77.w", true)]
    [TestCase(".ratelimit", false)]
    [TestCase(".crasher.1.17.4242.tmp", false)]
    [TestCase("crasher.1.17.core.tar.gz.report", false)]
    [TestCase(".x.w", false)]
    public void Atomic_write_temporaries_are_recognized(string name, bool expected) =>
        Assert.That(Leftovers.IsAtomicWriteTemp(name), Is.EqualTo(expected));
}
