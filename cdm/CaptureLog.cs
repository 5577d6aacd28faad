using System.Globalization;
using System.Text;
using CoreDump.Cdm.Publish;
using CoreDump.Logging;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Cdm;

/// <summary>cdm's log lines are collected while the crashed process waits and written only after stdin is
/// closed, all of a capture's lines in one append (see <see cref="LogFileAppender"/>), so the lines of concurrent
/// captures never interleave. No lock that another user could hold is ever waited on, so writing the log always
/// ends. The capture's journal record (docs/journal.md) goes out after the file log, by one non-blocking
/// datagram.</summary>
internal sealed class CaptureLog
{
    /// <summary>MESSAGE_ID of a crash stored with its core.</summary>
    public const string CaptureMessageId = "0cb9dd65518f4d41ad2a3fd1de6075dd";
    /// <summary>MESSAGE_ID of a crash recorded without its core (a drop).</summary>
    public const string DropMessageId = "1a5c806e3b7d4fc2a2193d05e000606e";

    /// <summary>Test-only overrides of the two socket paths. The kernel starts cdm with an empty environment,
    /// so, as for CDM_CONFIG, only root (an administrator or a test) can set them; no crashed process can.</summary>
    public const string JournalSocketVariable = "CDM_JOURNAL_SOCKET", SyslogSocketVariable = "CDM_SYSLOG_SOCKET";

    private readonly List<(bool Warning, string Text)> _lines = [];
    private string? _archive, _dropReason;
    private bool _archiveIsDrop;
    private JournalRecord? _record;

    public void Info(string text) => _lines.Add((false, text));
    public void Warn(string text) => _lines.Add((true, text));

    /// <summary>An archive or drop record and its marker were published: remembered for the journal record,
    /// and the uploader is told (<see cref="UploaderTrigger"/>). A capture superseded at publishing left no
    /// file behind and tells nobody.</summary>
    public void Published(SafeDirectory corepath, ArchiveName name)
    {
        string relative = Path.Combine(name.Daemon, name.FileName);
        if (!Posix.TryLStatAt(corepath.Handle, relative, out var st) || !st.IsRegular) return;
        _archive = Path.Combine(corepath.Path, relative);
        _archiveIsDrop = name.Drop;
        if (UploaderTrigger.Touch(corepath) is { } problem) Warn(problem);
    }

    /// <summary>The crash is not stored with its core, for this reason (a DropReason code).</summary>
    public void Dropping(string reason) => _dropReason = reason;

    /// <summary>The capture's outcome as one structured record: a capture when a core archive was published,
    /// otherwise a drop.</summary>
    public void Record(string daemon, int? pid, int? uid, int? signal, int slot, string outcome, long heldMs, bool failed) =>
        _record = BuildRecord(daemon, pid, uid, signal, slot, outcome, heldMs, failed, _archive, _archiveIsDrop, _dropReason);

    /// <summary>Pure: the record's fields (docs/journal.md).</summary>
    public static JournalRecord BuildRecord(string daemon, int? pid, int? uid, int? signal, int slot, string outcome, long heldMs,
        bool failed, string? archive, bool archiveIsDrop, string? dropReason)
    {
        bool captured = archive is not null && !archiveIsDrop;
        string? reason = captured ? null : dropReason ?? (failed ? "error" : "not_kept");
        string who = string.Create(CultureInfo.InvariantCulture, $"{daemon} (pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "?"}, signal {signal?.ToString(CultureInfo.InvariantCulture) ?? "?"})");
        string message = captured ? $"crash of {who} captured in slot {slot}: {archive}"
            : $"crash of {who} not stored with its core ({reason}): {outcome}";
        return new JournalRecord()
            .Add("MESSAGE", message)
            .Add("MESSAGE_ID", captured ? CaptureMessageId : DropMessageId)
            .Add("PRIORITY", Priority(captured, reason, failed))
            .Add("SYSLOG_IDENTIFIER", "cdm")
            .Add("CDM_DAEMON", daemon)
            .Add("CDM_PID", pid)
            .Add("CDM_UID", uid)
            .Add("CDM_SIGNAL", signal)
            .Add("CDM_SLOT", slot)
            .Add("CDM_OUTCOME", outcome)
            .Add("CDM_HELD_MS", heldMs >= 0 ? heldMs : null)
            .Add("CDM_ARCHIVE", archive)
            .Add("CDM_DROP_REASON", reason);
    }

    /// <summary>syslog priority: 3 (err) for a crash captured or lost to a failure, 4 (warning) for one
    /// suppressed by the crash-loop limit or refused by the disk guard, 5 (notice) for one the administrator's
    /// rules or the process itself asked not to keep.</summary>
    public static int Priority(bool captured, string? dropReason, bool failed) =>
        captured ? 3 : dropReason is "rate_limited" or "disk_guard" ? 4 : failed ? 3 : 5;

    public void WriteTo(string path)
    {
        if (_lines.Count > 0)
        {
            try
            {
                var now = DateTimeOffset.Now;
                int pid = Environment.ProcessId;
                var text = new StringBuilder();
                foreach (var (warning, line) in _lines) text.Append(FileLog.Line(now, warning, "cdm", pid, line));
                new LogFileAppender(path).Append(Encoding.UTF8.GetBytes(text.ToString()));
            }
            catch (Exception) { /* nowhere left to report to */ }
        }
        if (_record is not null)
            Journal.Send(_record, Environment.GetEnvironmentVariable(JournalSocketVariable) ?? Journal.JournalSocket,
                Environment.GetEnvironmentVariable(SyslogSocketVariable) ?? Journal.SyslogSocket);
    }
}
