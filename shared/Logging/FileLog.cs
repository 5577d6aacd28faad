using Serilog;
using Serilog.Core;

namespace CoreDump.Logging;

/// <summary>Serilog to a size-bounded file, never to the console (cdm's fds 1 and 2 may be anything).</summary>
public static class FileLog
{
    public const long MaxBytes = 4 << 20;
    public const int KeptFiles = 3;
    private const string Template = "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} {Level:u3} {Program}[{Pid}] {Message:lj}{NewLine}{Exception}";

    /// <summary>Creates a logger writing to <paramref name="path"/>; files are created 0640 because the
    /// programs run with umask 027.</summary>
    public static Logger Create(string path, string program) =>
        new LoggerConfiguration()
            .Enrich.WithProperty("Program", program)
            .Enrich.WithProperty("Pid", Environment.ProcessId)
            .WriteTo.File(path, outputTemplate: Template, fileSizeLimitBytes: MaxBytes, rollOnFileSizeLimit: true,
                retainedFileCountLimit: KeptFiles, shared: true, formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
}
