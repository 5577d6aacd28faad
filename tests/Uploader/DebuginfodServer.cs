using System.Collections.Concurrent;
using System.Net;

namespace CoreDump.Tests.Uploader;

/// <summary>A real debuginfod server on 127.0.0.1 for the tests, in debuginfod's HTTP layout:
/// `GET /buildid/&lt;id&gt;/debuginfo` answers 200 with the file the test put under that id, else 404.
/// Every request path is recorded. An answer can be scripted per id: another file, a body sent without
/// Content-Length (chunked), or a redirect.</summary>
internal sealed class DebuginfodServer : IDisposable
{
    public sealed record Answer(byte[]? Body = null, bool Chunked = false, string? Location = null, int Status = 200);

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public ConcurrentDictionary<string, Answer> ById { get; } = new();
    public ConcurrentQueue<string> Requests { get; } = new();

    public DebuginfodServer()
    {
        Port = CrashDbServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public void Serve(string buildId, byte[] file) => ById[buildId] = new Answer(file);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(ctx));
        }
    }

    private async Task Handle(HttpListenerContext ctx)
    {
        try
        {
            string path = ctx.Request.RawUrl ?? "";
            Requests.Enqueue(path);
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            Answer? a = parts is ["buildid", var id, "debuginfo"] && ById.TryGetValue(id, out var found) ? found : null;
            if (a is null) { ctx.Response.StatusCode = 404; ctx.Response.Close(); return; }
            ctx.Response.StatusCode = a.Status;
            if (a.Location is { } l) ctx.Response.RedirectLocation = l;
            if (a.Body is { } body)
            {
                if (a.Chunked) ctx.Response.SendChunked = true;
                else ctx.Response.ContentLength64 = body.Length;
                for (int o = 0; o < body.Length; o += 65536)
                    await ctx.Response.OutputStream.WriteAsync(body.AsMemory(o, Math.Min(65536, body.Length - o)), _stop.Token);
            }
            ctx.Response.Close();
        }
        catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (Exception) { }
        try { _loop.Wait(2000); } catch (Exception) { }
    }
}
