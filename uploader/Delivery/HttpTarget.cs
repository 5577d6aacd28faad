using System.Net.Http.Headers;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Delivery;

/// <summary>A crashdb server (docs/crashdb-protocol.md): POST multipart/form-data with the report in the field
/// "crash" (as corewatcher's crashdb expects) and "Idempotency-Key: &lt;report id&gt;"; the archive goes in the
/// field "archive" with the report (`archive = "always"`), never, or (`"on_request"`) in a second POST to the
/// same url when the answer to the report asks for it. TLS certificates are verified and redirects are not
/// followed (<see cref="Targets"/> builds the client).</summary>
internal sealed class HttpTarget(HttpClient client, ServerConfig server) : IDeliveryTarget, IArchiveTarget
{
    private readonly ArchiveMode _mode = ArchiveModes.Of(server);

    public string Name => server.Url;
    public bool TakesArchives => _mode != ArchiveMode.Never;

    public async Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        form.Add(TextField("crash", reportText));
        bool withArchive = _mode == ArchiveMode.Always;
        var r = await PostAsync(form, withArchive ? archive : null, reportId, readAnswer: _mode == ArchiveMode.OnRequest, ct);
        return withArchive && r.Verdict == DeliveryVerdict.Delivered ? r with { ArchiveSent = true } : r;
    }

    /// <summary>Stage two: the archive alone (with the report id it belongs to), to the configured url, never to
    /// one an answer names. Its own Idempotency-Key, so a server stores a resent archive once.</summary>
    public async Task<DeliveryResult> UploadArchiveAsync(ArchiveRef archive, string reportId, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        form.Add(TextField("report_id", reportId));
        return await PostAsync(form, archive, ArchiveIdempotencyKey(reportId), readAnswer: false, ct);
    }

    public static string ArchiveIdempotencyKey(string reportId) => reportId + ".archive";

    private static StringContent TextField(string name, string text)
    {
        var c = new StringContent(text);
        c.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = $"\"{name}\"" };
        return c;
    }

    private async Task<DeliveryResult> PostAsync(MultipartFormDataContent form, ArchiveRef? archive, string idempotencyKey, bool readAnswer, CancellationToken ct)
    {
        FileStream? archiveStream = null;
        try
        {
            if (archive is not null)
            {
                archiveStream = File.OpenRead(archive.Path);
                var file = new StreamContent(archiveStream);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
                file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"archive\"", FileName = $"\"{archive.FileName}\"" };
                form.Add(file);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, server.Url) { Content = form };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
            // the configuration refuses this already; a header is never put on a clear-text request to another host
            if (server.AuthHeader is { } auth && ConfigRules.MaySendAuthHeader(request.RequestUri!))
            {
                int colon = auth.IndexOf(':');
                request.Headers.TryAddWithoutValidation(auth[..colon].Trim(), auth[(colon + 1)..].Trim());
            }
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            int status = (int)response.StatusCode;
            var verdict = DeliveryRules.Classify(status);
            long? retryAfter = RetryAfter(response);
            var result = new DeliveryResult(verdict, $"HTTP {status} {response.ReasonPhrase}", verdict == DeliveryVerdict.Retry ? retryAfter : null);
            return readAnswer && verdict == DeliveryVerdict.Delivered ? result with { Archive = await ReadAskAsync(response, ct) } : result;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new DeliveryResult(DeliveryVerdict.Retry, $"timed out after {server.TimeoutSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryResult(DeliveryVerdict.Retry, $"{e.HttpRequestError}: {e.Message}");
        }
        catch (IOException e)
        {
            return new DeliveryResult(DeliveryVerdict.Retry, e.Message);
        }
        finally { archiveStream?.Dispose(); }
    }

    /// <summary>Reads at most <see cref="ArchiveAsks.MaxAnswerBytes"/> (+1, to know there was more) of a delivered
    /// report's answer. The report is delivered whatever the answer holds: a body that cannot be read (the
    /// connection drops, the server stalls past timeout_seconds) only means the archive was not asked for.</summary>
    private async Task<ArchiveAsk> ReadAskAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        var buffer = new byte[ArchiveAsks.MaxAnswerBytes + 1];
        int n = 0;
        // HttpClient.Timeout ends at the headers (ResponseHeadersRead): the body gets a bound of its own
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(server.TimeoutSeconds));
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(bounded.Token);
            int got;
            while (n < buffer.Length && (got = await body.ReadAsync(buffer.AsMemory(n), bounded.Token)) > 0) n += got;
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new ArchiveAsk(false, $"the answer could not be read ({ArchiveAsks.Printable(e.Message)}): archive not sent");
        }
        return ArchiveAsks.Read(mediaType, buffer.AsSpan(0, Math.Min(n, ArchiveAsks.MaxAnswerBytes)), truncated: n > ArchiveAsks.MaxAnswerBytes);
    }

    private static long? RetryAfter(HttpResponseMessage r)
    {
        var h = r.Headers.RetryAfter;
        if (h?.Delta is TimeSpan d) return (long)Math.Ceiling(d.TotalSeconds);
        if (h?.Date is DateTimeOffset at) return Math.Max(0, (long)Math.Ceiling((at - DateTimeOffset.UtcNow).TotalSeconds));
        return r.Headers.TryGetValues("Retry-After", out var v) ? DeliveryRules.ParseRetryAfter(v.FirstOrDefault(), DateTimeOffset.UtcNow) : null;
    }
}
