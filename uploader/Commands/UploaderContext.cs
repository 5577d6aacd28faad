using CoreDump.Logging;
using CoreDump.Uploader.Config;
using Serilog;

namespace CoreDump.Uploader.Commands;

/// <summary>What every command needs: the configuration and the log.</summary>
internal sealed class UploaderContext
{
    public UploaderConfig Config { get; }
    public List<string> Warnings { get; }

    private UploaderContext(UploaderConfig config, List<string> warnings) { Config = config; Warnings = warnings; }

    /// <summary>Loads the config; throws <see cref="UploaderError"/> (exit 78) when it is unusable.</summary>
    public static UploaderContext Load(string? path)
    {
        var warnings = new List<string>();
        var cfg = ConfigLoader.Load(path ?? ConfigLoader.DefaultPath, warnings);
        foreach (var w in warnings.Where(w => w.Contains("unknown key", StringComparison.Ordinal))) Stderr.Say($"warning: {w}");
        return new UploaderContext(cfg, warnings);
    }

    public ILogger CreateLog(string command)
    {
        var log = FileLog.Create(Config.LogFile, "uploader").ForContext("Command", command);
        foreach (var w in Warnings) log.Warning("config: {Warning}", w);
        return log;
    }
}
