using System.Collections.Concurrent;
using System.Net;

namespace CoreDump.Tests.Uploader;

/// <summary>A real debuginfod server on 127.0.0.1 for the tests, in debuginfod's HTTP layout:
/// `GET /buildid/&lt;id&gt;/debuginfo` answers 200 with the file the test put under that id, else 404.
/// Every request path is recorded. An answer can be scripted per id: another file, a body sent without
/// Content-Length (chunked), or a redirect.</summary>
internal sealed class DebuginfodServer : LoopbackHttpServer
{
    public sealed record Answer(byte[]? Body = null, bool Chunked = false, string? Location = null, int Status = 200);

    public string Url => $"http://127.0.0.1:{Port}";
    public ConcurrentDictionary<string, Answer> ById { get; } = new();
    public ConcurrentQueue<string> Requests { get; } = new();

    public void Serve(string buildId, byte[] file) => ById[buildId] = new Answer(file);

    protected override async Task Handle(HttpListenerContext ctx)
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
                await ctx.Response.OutputStream.WriteAsync(body.AsMemory(o, Math.Min(65536, body.Length - o)), Stop.Token);
        }
        ctx.Response.Close();
    }
}
