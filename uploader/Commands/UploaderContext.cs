using CoreDump.Logging;
using CoreDump.Uploader.Config;
using Serilog;

namespace CoreDump.Uploader.Commands;

/// <summary>What every command needs: the configuration, its warnings and the log.</summary>
internal sealed class UploaderContext
{
    public UploaderConfig Config { get; }
    public IReadOnlyList<ConfigWarning> Warnings { get; }

    private UploaderContext(UploaderConfig config, IReadOnlyList<ConfigWarning> warnings) { Config = config; Warnings = warnings; }

    /// <summary>Loads the configuration and shows the warnings meant for the terminal; throws
    /// <see cref="UploaderError"/> (exit 78) when it is unusable.</summary>
    public static UploaderContext Load(string? path)
    {
        var loaded = ConfigLoader.Load(path ?? ConfigLoader.DefaultPath);
        foreach (var w in loaded.Warnings.Where(w => w.ShownOnTerminal)) Stderr.Say($"warning: {w.Message}");
        return new UploaderContext(loaded.Config, loaded.Warnings);
    }

    public ILogger CreateLog(string command)
    {
        var log = FileLog.Create(Config.LogFile, "uploader").ForContext("Command", command);
        foreach (var w in Warnings) log.Warning("config: {Warning}", w.Message);
        return log;
    }
}
