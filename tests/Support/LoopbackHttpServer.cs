using System.Net;
using System.Net.Sockets;

namespace CoreDump.Tests.Support;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener on a free port) for the tests: accepts requests on a
/// loop and hands each to <see cref="Handle"/> on its own task; a handler that throws aborts its response.</summary>
internal abstract class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    protected CancellationTokenSource Stop { get; } = new();

    public int Port { get; }

    protected LoopbackHttpServer()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    protected abstract Task Handle(HttpListenerContext ctx);

    private async Task AcceptLoop()
    {
        while (!Stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                try { await Handle(ctx); }
                catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
            });
        }
    }

    public void Dispose()
    {
        Stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (Exception) { }
        try { _loop.Wait(2000); } catch (Exception) { }
    }
}
