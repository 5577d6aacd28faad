using CoreDump.Cdm.Publish;
using CoreDump.Logging;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Cdm;

/// <summary>cdm's log lines are collected while the crashed process waits and written only after stdin is
/// closed. Each line is one append (see <see cref="AppendFileSink"/>): no lock that another user could hold
/// is ever waited on, so writing the log always ends.</summary>
internal sealed class CaptureLog
{
    private readonly List<(bool Warning, string Text)> _lines = [];

    public void Info(string text) => _lines.Add((false, text));
    public void Warn(string text) => _lines.Add((true, text));

    /// <summary>An archive or drop record and its marker were published: the uploader is told (<see cref="UploaderTrigger"/>). A capture superseded at publishing left no
    /// file behind and tells nobody.</summary>
    public void Published(SafeDirectory corepath, ArchiveName name)
    {
        string relative = Path.Combine(name.Daemon, name.FileName);
        if (!Posix.TryLStatAt(corepath.Fd, relative, out var st) || !st.IsRegular) return;
        if (UploaderTrigger.Touch(corepath) is { } problem) Warn(problem);
    }

    public void WriteTo(string path)
    {
        if (_lines.Count > 0)
        {
            try
            {
                using var log = FileLog.Create(path, "cdm");
                foreach (var (warning, text) in _lines)
                {
                    if (warning) log.Warning("{Text}", text);
                    else log.Information("{Text}", text);
                }
            }
            catch (Exception) { /* nowhere left to report to */ }
        }
    }
}
