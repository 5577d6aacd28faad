using System.Net;
using Microsoft.Extensions.DependencyInjection;
using CoreDump.Uploader.Config;

namespace CoreDump.Uploader.Delivery;

/// <summary>Builds the delivery targets from the configuration: one named HttpClient per [[server]]
/// (IHttpClientFactory), or the outbox when no server is configured.</summary>
internal sealed class Targets : IDisposable
{
    private readonly ServiceProvider? provider;
    public IReadOnlyList<IDeliveryTarget> All { get; }

    public Targets(UploaderConfig config)
    {
        if (config.Server.Count == 0) { All = [new OutboxTarget(config.Outbox, config.OutboxMaxBytes, config.OutboxKeepFreeBytes)]; return; }
        var services = new ServiceCollection();
        for (int i = 0; i < config.Server.Count; i++)
        {
            var s = config.Server[i];
            services.AddHttpClient(ClientName(i), c =>
                {
                    c.Timeout = TimeSpan.FromSeconds(s.TimeoutSeconds);
                    c.DefaultRequestHeaders.UserAgent.ParseAdd("cdm-uploader/0.1");
                })
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    ConnectTimeout = TimeSpan.FromSeconds(Math.Min(s.TimeoutSeconds, 10)),
                    AutomaticDecompression = DecompressionMethods.None,
                    UseProxy = true,
                });
        }
        provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        All = config.Server.Select((s, i) => (IDeliveryTarget)new HttpTarget(factory, ClientName(i), s)).ToList();
    }

    private static string ClientName(int i) => $"crashdb{i}";

    public void Dispose() => provider?.Dispose();
}
