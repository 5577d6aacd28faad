using System.Net.Http.Headers;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Delivery;

/// <summary>A crashdb server: POST multipart/form-data with the report in the field "crash" (as corewatcher's
/// crashdb expects), "Idempotency-Key: &lt;report id&gt;", and optionally the archive in the field "archive".
/// TLS certificates are verified and redirects are not followed (<see cref="Targets"/> builds the client).</summary>
internal sealed class HttpTarget(HttpClient client, ServerConfig server) : IDeliveryTarget
{
    public string Name => server.Url;

    public async Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var crash = new StringContent(reportText);
        crash.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"crash\"" };
        form.Add(crash);
        FileStream? archiveStream = null;
        try
        {
            if (server.UploadArchive)
            {
                archiveStream = File.OpenRead(archive.Path);
                var file = new StreamContent(archiveStream);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
                file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"archive\"", FileName = $"\"{archive.FileName}\"" };
                form.Add(file);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, server.Url) { Content = form };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", reportId);
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
            return new DeliveryResult(verdict, $"HTTP {status} {response.ReasonPhrase}", verdict == DeliveryVerdict.Retry ? retryAfter : null);
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

    private static long? RetryAfter(HttpResponseMessage r)
    {
        var h = r.Headers.RetryAfter;
        if (h?.Delta is TimeSpan d) return (long)Math.Ceiling(d.TotalSeconds);
        if (h?.Date is DateTimeOffset at) return Math.Max(0, (long)Math.Ceiling((at - DateTimeOffset.UtcNow).TotalSeconds));
        return r.Headers.TryGetValues("Retry-After", out var v) ? DeliveryRules.ParseRetryAfter(v.FirstOrDefault(), DateTimeOffset.UtcNow) : null;
    }
}
