namespace CoreDump.Uploader;

/// <summary>The one way a command stops with a message for the admin: a refused configuration or work_dir,
/// an archive that cannot be found, a run lock another run holds, an interrupted pass. Program.cs catches it
/// once, prints "cdm-uploader: MESSAGE" on stderr and exits with <see cref="ExitCode"/> (sysexits.h, <see cref="ExitCodes"/>).</summary>
internal sealed class UploaderError(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
