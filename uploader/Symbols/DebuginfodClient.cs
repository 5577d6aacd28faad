using System.Net;
using System.Net.Sockets;

namespace CoreDump.Uploader.Symbols;

/// <summary>How one server answered for one build-id.</summary>
internal enum FetchAnswer { Stored, NotFound, Refused, Unreachable }

/// <summary>debuginfod's HTTP API, client side: `GET &lt;server&gt;/buildid/&lt;id&gt;/debuginfo`, 200 with the
/// file or 404. Redirects are followed by hand (<see cref="SymbolRules.RedirectRefusal"/>), no content
/// decoding, the body is streamed into the caller's file and cut off at the byte budget.</summary>
internal sealed class DebuginfodClient : IDisposable
{
    private readonly HttpClient _http;

    public DebuginfodClient(TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, ConnectTimeout = connectTimeout,
            MaxResponseHeadersLength = 64, // KiB
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("cdm-uploader");
    }

    /// <summary>Asks <paramref name="server"/> for <paramref name="buildId"/>'s debug info and writes it into
    /// <paramref name="output"/> (at most <paramref name="budget"/> bytes). <paramref name="why"/> is the
    /// reason for anything but <see cref="FetchAnswer.Stored"/> and <see cref="FetchAnswer.NotFound"/>.</summary>
    public FetchAnswer Get(Uri server, string buildId, Stream output, long budget, TimeSpan timeLeft, CancellationToken outer, out string? why)
    {
        var url = SymbolRules.DebugInfoUrl(server, buildId);
        why = null;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(outer);
        limit.CancelAfter(timeLeft);
        var ct = limit.Token;
        try
        {
            for (int hop = 0; ; hop++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                using var response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead, ct);
                int code = (int)response.StatusCode;
                if (code is 301 or 302 or 303 or 307 or 308)
                {
                    var next = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(url, l)) : null;
                    if (hop >= SymbolRules.MaxRedirects) { why = $"more than {SymbolRules.MaxRedirects} redirects"; return FetchAnswer.Refused; }
                    if (SymbolRules.RedirectRefusal(url, next) is { } refused) { why = refused + ": not followed"; return FetchAnswer.Refused; }
                    url = next!;
                    continue;
                }
                if (code == 404) return FetchAnswer.NotFound;
                if (code != 200) { why = $"HTTP {code}"; return FetchAnswer.Refused; }
                if (response.Content.Headers.ContentLength is long declared && declared > budget)
                {
                    why = $"the file is {declared} bytes, over the limit of {budget}: not fetched";
                    return FetchAnswer.Refused;
                }
                using var body = response.Content.ReadAsStream(ct);
                return Copy(body, output, budget, ct, out why) ? FetchAnswer.Stored : FetchAnswer.Refused;
            }
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError || e.InnerException is SocketException)
        {
            why = "unreachable: " + OneLine(e);
            return FetchAnswer.Unreachable;
        }
        catch (HttpRequestException e) { why = OneLine(e); return FetchAnswer.Refused; }
        catch (OperationCanceledException) when (!outer.IsCancellationRequested)
        {
            why = $"no answer within {(int)Math.Ceiling(timeLeft.TotalSeconds)} s (debuginfod_timeout_seconds)";
            return FetchAnswer.Unreachable;
        }
    }

    /// <summary>Copies at most <paramref name="budget"/> bytes; false, with the reason, when the body is longer.</summary>
    private static bool Copy(Stream body, Stream output, long budget, CancellationToken ct, out string? why)
    {
        var buf = new byte[81920];
        long total = 0;
        int n;
        // ReadAsync: only the asynchronous read honours the token, so a server that stalls mid-body is cut off too
        while ((n = body.ReadAsync(buf, ct).AsTask().GetAwaiter().GetResult()) > 0)
        {
            if (total + n > budget) { why = $"the file exceeds the limit of {budget} bytes: cut off, not kept"; return false; }
            output.Write(buf, 0, n);
            total += n;
        }
        why = null;
        return true;
    }

    private static string OneLine(Exception e)
    {
        string m = e.InnerException is { } i ? $"{e.Message} ({i.Message})" : e.Message;
        m = string.Join(' ', m.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return m.Length <= 300 ? m : m[..300] + "…";
    }

    public void Dispose() => _http.Dispose();
}
