using System.Globalization;
using System.Text;
using CoreDump.Native;
using CoreDump.Store;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace CoreDump.Logging;

/// <summary>The programs' log files: size-bounded, never the console (cdm's fds 1 and 2 may be anything). The
/// uploader logs through Serilog (<see cref="Create"/>); cdm, which writes a few lines once per crash while
/// every millisecond of its start counts, formats its lines itself (<see cref="Line"/>, the same format) and
/// appends them with the same <see cref="LogFileAppender"/>, without building a Serilog pipeline.</summary>
internal static class FileLog
{
    public const long MaxBytes = 4 << 20;
    /// <summary>The log and its rolled copies <c>path.1</c> … <c>path.(KeptFiles-1)</c>.</summary>
    public const int KeptFiles = 3;
    /// <summary>Longest wait for the log's lock; after it the line is appended without it.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffzzz";
    private const string Template = "{Timestamp:" + TimestampFormat + "} {Level:u3} {Program}[{Pid}] {Message:lj}{NewLine}{Exception}";

    /// <summary>Creates a logger writing to <paramref name="path"/>; files are created 0640 because the
    /// programs run with umask 027.</summary>
    public static Logger Create(string path, string program) =>
        new LoggerConfiguration()
            .Enrich.WithProperty("Program", program)
            .Enrich.WithProperty("Pid", Environment.ProcessId)
            .WriteTo.Sink(new AppendFileSink(path, new MessageTemplateTextFormatter(Template, CultureInfo.InvariantCulture)))
            .CreateLogger();

    /// <summary>Pure: one line as <see cref="Create"/>'s loggers write a message logged as <c>"{Text}"</c>
    /// (a test holds the two to the same bytes).</summary>
    public static string Line(DateTimeOffset time, bool warning, string program, int pid, string text) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{time.ToString(TimestampFormat, CultureInfo.InvariantCulture)} {(warning ? "WRN" : "INF")} {program}[{pid}] {text}{Environment.NewLine}");
}

/// <summary>A Serilog sink that appends each event through a <see cref="LogFileAppender"/>.</summary>
internal sealed class AppendFileSink(string path, ITextFormatter formatter) : ILogEventSink
{
    private readonly LogFileAppender _file = new(path);

    public void Emit(LogEvent logEvent)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(logEvent, text);
        _file.Append(Encoding.UTF8.GetBytes(text.ToString()));
    }
}

/// <summary>Appends with one write(2) to an O_APPEND descriptor, so writers in several processes never
/// overwrite each other. Rolling is serialised by an flock on <c>&lt;path&gt;.lock</c>, a 0600 file of the
/// program's own user: nobody else can open it, so nobody else can hold it. Even so the wait is bounded
/// (<see cref="FileLog.LockWait"/>): after it the bytes are written anyway. Nothing here touches a shared
/// temporary directory (Serilog's shared file sink would use a named mutex under /tmp/.dotnet). Failures are
/// swallowed: there is nowhere left to report them to.</summary>
internal sealed class LogFileAppender(string path)
{
    private static SafeDirectoryHandle Cwd => SafeDirectoryHandle.CurrentDirectory;
    private readonly object _gate = new();
    private bool _dirReady, _lockGaveUp;

    public void Append(byte[] bytes)
    {
        lock (_gate)
        {
            try
            {
                if (!_dirReady) { Directory.CreateDirectory(Path.GetDirectoryName(path) ?? "/"); _dirReady = true; }
                // after one wait that timed out, later lines of this logger do not wait again
                using var held = PrivateLock.Take(Cwd, path + ".lock", _lockGaveUp ? TimeSpan.Zero : FileLog.LockWait);
                _lockGaveUp |= held is null;
                RollIfFull(bytes.Length);
                using var file = Posix.OpenAt(Cwd, path, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CREAT | Posix.O_NOFOLLOW, FileModes.Mode0640);
                Posix.WriteAll(file, bytes, path);
            }
            catch (Exception) { /* nowhere left to report to */ }
        }
    }

    private void RollIfFull(int adding)
    {
        if (!Posix.TryLStatAt(Cwd, path, out var st) || !st.IsRegular || st.Size + adding <= FileLog.MaxBytes) return;
        for (int i = FileLog.KeptFiles - 1; i >= 1; i--)
            _ = Posix.TryRenameAt(Cwd, i == 1 ? path : $"{path}.{i - 1}", $"{path}.{i}"); // a rolled copy not made yet
    }
}
