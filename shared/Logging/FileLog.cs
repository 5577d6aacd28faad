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

/// <summary>Serilog to a size-bounded file, never to the console (cdm's fds 1 and 2 may be anything).</summary>
internal static class FileLog
{
    public const long MaxBytes = 4 << 20;
    /// <summary>The log and its rolled copies <c>path.1</c> … <c>path.(KeptFiles-1)</c>.</summary>
    public const int KeptFiles = 3;
    /// <summary>Longest wait for the log's lock; after it the line is appended without it.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);
    private const string Template = "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} {Level:u3} {Program}[{Pid}] {Message:lj}{NewLine}{Exception}";

    /// <summary>Creates a logger writing to <paramref name="path"/>; files are created 0640 because the
    /// programs run with umask 027.</summary>
    public static Logger Create(string path, string program) =>
        new LoggerConfiguration()
            .Enrich.WithProperty("Program", program)
            .Enrich.WithProperty("Pid", Environment.ProcessId)
            .WriteTo.Sink(new AppendFileSink(path, new MessageTemplateTextFormatter(Template, CultureInfo.InvariantCulture)))
            .CreateLogger();
}

/// <summary>Appends each event with one write(2) to an O_APPEND descriptor, so writers in several processes
/// never overwrite each other. Rolling is serialised by an flock on <c>&lt;path&gt;.lock</c>, a 0600 file of
/// the program's own user: nobody else can open it, so nobody else can hold it. Even so the wait is bounded
/// (<see cref="FileLog.LockWait"/>): after it the event is written anyway. Nothing here touches a shared
/// temporary directory (Serilog's shared file sink would use a named mutex under /tmp/.dotnet).</summary>
internal sealed class AppendFileSink(string path, ITextFormatter formatter) : ILogEventSink
{
    private static SafeDirectoryHandle Cwd => SafeDirectoryHandle.CurrentDirectory;
    private readonly object _gate = new();
    private bool _dirReady, _lockGaveUp;

    public void Emit(LogEvent logEvent)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(logEvent, text);
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
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
