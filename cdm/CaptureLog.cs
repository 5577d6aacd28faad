using CoreDump.Native;
using CoreDump.Logging;

namespace CoreDump.Cdm;

/// <summary>cdm's log lines are collected while the crashed process waits and written only after stdin is
/// closed, under an flock on the log's directory so concurrent captures do not interleave.</summary>
public sealed class CaptureLog
{
    private readonly List<(bool Warning, string Text)> _lines = [];

    public void Info(string text) => _lines.Add((false, text));
    public void Warn(string text) => _lines.Add((true, text));

    public void WriteTo(string path)
    {
        if (_lines.Count == 0) return;
        string dir = Path.GetDirectoryName(path) ?? "/";
        int dirFd = -1;
        try
        {
            Directory.CreateDirectory(dir);
            dirFd = Posix.OpenAt(-100, dir, Posix.O_RDONLY | Posix.O_DIRECTORY);
            if (dirFd >= 0) Posix.Flock(dirFd, Posix.LOCK_EX);
            using var log = FileLog.Create(path, "cdm");
            foreach (var (warning, text) in _lines)
            {
                if (warning) log.Warning("{Text}", text);
                else log.Information("{Text}", text);
            }
        }
        catch (Exception) { /* nowhere left to report to */ }
        finally { if (dirFd >= 0) Posix.Close(dirFd); }
    }
}
