using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace CoreDump.Tests.Uploader;

/// <summary>A real HTTP crash database on 127.0.0.1 for the tests: records every request (idempotency key,
/// the multipart body), honours the key (a duplicate is answered 200 but not stored again) and answers
/// as the test scripts it: a status, a Retry-After, a stall, a body (with its Content-Type) and a Location.</summary>
internal sealed class CrashDbServer : LoopbackHttpServer
{
    public sealed record Request(string? IdempotencyKey, string ContentType, string Body, string? Authorization, int AnsweredStatus, byte[] RawBody);
    public sealed record Answer(int Status, string? RetryAfter = null, TimeSpan? Stall = null, bool StoreBeforeStall = false,
        string? Body = null, string? BodyType = "application/json", string? Location = null);

    private readonly ConcurrentQueue<Answer> _script = new();

    public string Url => $"http://127.0.0.1:{Port}/crash";
    public ConcurrentQueue<Request> Requests { get; } = new();
    /// <summary>Reports stored, in arrival order, once per idempotency key.</summary>
    public ConcurrentDictionary<string, string> Stored { get; } = new();
    public List<string> StoredOrder { get; } = [];
    /// <summary>Answer when the script is empty.</summary>
    public Answer Default { get; set; } = new(200);
    public TaskCompletionSource<Request> FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Then(params Answer[] answers) { foreach (var a in answers) _script.Enqueue(a); }

    /// <summary>Drops the answers still scripted: from now on every request gets <see cref="Default"/>.</summary>
    public void ClearScript() { while (_script.TryDequeue(out _)) { } }

    protected override async Task Handle(HttpListenerContext ctx)
    {
        var raw = new MemoryStream();
        await ctx.Request.InputStream.CopyToAsync(raw);
        string body = Encoding.UTF8.GetString(raw.ToArray());
        var answer = _script.TryDequeue(out var a) ? a : Default;
        string? key = ctx.Request.Headers["Idempotency-Key"];
        var request = new Request(key, ctx.Request.ContentType ?? "", body, ctx.Request.Headers["Authorization"], answer.Status, raw.ToArray());
        Requests.Enqueue(request);
        bool ok = answer.Status is >= 200 and < 300;
        if (ok && answer.StoreBeforeStall) Store(key, body);
        FirstRequest.TrySetResult(request);
        if (answer.Stall is TimeSpan stall) await Task.Delay(stall, Stop.Token);
        if (ok && !answer.StoreBeforeStall) Store(key, body);
        ctx.Response.StatusCode = answer.Status;
        if (answer.RetryAfter is { } ra) ctx.Response.AddHeader("Retry-After", ra);
        if (answer.Location is { } location) ctx.Response.AddHeader("Location", location);
        if (answer.Body is { } answerBody)
        {
            if (answer.BodyType is { } type) ctx.Response.ContentType = type;
            byte[] bytes = Encoding.UTF8.GetBytes(answerBody);
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes);
        }
        ctx.Response.Close();
    }

    private void Store(string? key, string body)
    {
        if (key is null) return;
        lock (StoredOrder)
            if (Stored.TryAdd(key, body)) StoredOrder.Add(key);
    }

    public List<string?> Keys => Requests.Select(r => r.IdempotencyKey).ToList();
}
