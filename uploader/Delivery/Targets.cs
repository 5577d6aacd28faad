using System.Net;
using CoreDump.Uploader.Config;

namespace CoreDump.Uploader.Delivery;

/// <summary>Builds the delivery targets from the configuration: one HttpClient per [[server]], or the outbox
/// when no server is configured. A pass is one short-lived process, so each client lives for the pass and
/// is disposed with it.</summary>
internal sealed class Targets : IDisposable
{
    private readonly List<HttpClient> _clients = [];
    public IReadOnlyList<IDeliveryTarget> All { get; }

    public Targets(UploaderConfig config)
    {
        if (config.Server.Count == 0) { All = [new OutboxTarget(config.Outbox, config.OutboxMaxBytes, config.OutboxKeepFreeBytes)]; return; }
        var all = new List<IDeliveryTarget>();
        foreach (var s in config.Server)
        {
            var client = Client(s);
            _clients.Add(client);
            all.Add(new HttpTarget(client, s));
        }
        All = all;
    }

    /// <summary>Redirects are not followed (a crash database URL must be exact), bodies are not decompressed,
    /// TLS certificates are verified (nothing overrides the handler's default), the system proxy is honoured.</summary>
    private static HttpClient Client(ServerConfig s)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(s.TimeoutSeconds, 10)),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = true,
        };
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(s.TimeoutSeconds) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("cdm-uploader/0.1");
        return client;
    }

    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
    }
}
