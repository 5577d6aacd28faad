using CoreDump.Logging;
using CoreDump.Uploader.Config;
using Serilog;

namespace CoreDump.Uploader.Commands;

/// <summary>What every command needs: the configuration (or the reason it is unusable) and the log.</summary>
internal sealed class UploaderContext
{
    public UploaderConfig Config { get; }
    public List<string> Warnings { get; }

    private UploaderContext(UploaderConfig config, List<string> warnings) { Config = config; Warnings = warnings; }

    /// <summary>Loads the config; prints the reason and returns null (caller exits 78) if it is unusable.</summary>
    public static UploaderContext? Load(string? path)
    {
        var warnings = new List<string>();
        try
        {
            var cfg = ConfigLoader.Load(path ?? ConfigLoader.DefaultPath, warnings);
            foreach (var w in warnings.Where(w => w.Contains("unknown key", StringComparison.Ordinal))) Console.Error.WriteLine($"uploader: warning: {w}");
            return new UploaderContext(cfg, warnings);
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"uploader: bad configuration: {e.Message}");
            return null;
        }
    }

    public ILogger CreateLog(string command)
    {
        var log = FileLog.Create(Config.LogFile, "uploader").ForContext("Command", command);
        foreach (var w in Warnings) log.Warning("config: {Warning}", w);
        return log;
    }
}
