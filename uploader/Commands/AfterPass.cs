using CoreDump.Uploader.Health;
using CoreDump.Uploader.Retention;
using Serilog;

namespace CoreDump.Uploader.Commands;

/// <summary>What a completed pass does last, still under the run lock: `remove_core_after_delivery` (after a
/// delivery pass) and the node-exporter textfile (`prometheus_textfile_dir`). Neither can fail the pass: a
/// failure is logged and printed, and the next pass tries again.</summary>
internal static class AfterPass
{
    public static void Run(Config.UploaderConfig config, ILogger log, PassPhases phases)
    {
        if (config.RemoveCoreAfterDelivery && phases.HasFlag(PassPhases.Deliver))
            CoreRemoval.Run(config.Corepath, log);
        if (config.PrometheusTextfileDir is { } dir)
        {
            try { PrometheusText.WriteTextfile(dir, PrometheusText.Format(HealthCollector.Collect(config, DateTimeOffset.UtcNow.ToUnixTimeSeconds()))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("cannot write {File}: {Error}", Path.Combine(dir, PrometheusText.FileName), e.Message);
                Stderr.Say($"cannot write {Path.Combine(dir, PrometheusText.FileName)}: {e.Message}");
            }
        }
    }
}
