using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Cdm.Publish;

/// <summary>Tells the uploader that a new archive or drop record waits: <c>&lt;corepath&gt;/.new</c> is created
/// when missing and its times set to now. cdm-uploader.path starts a pass while the file exists and the
/// analysis unit removes it before it scans, so a crash published during a pass leaves the file behind and
/// starts the next pass. Best effort and bounded: one non-blocking open without following a symlink, one
/// fstat, one futimens; never a wait, and never a reason to fail a capture.</summary>
internal static class UploaderTrigger
{
    public const string FileName = ".new";

    /// <summary>Returns null when the trigger was touched, else why not (for the log).</summary>
    public static string? Touch(SafeDirectory corepath)
    {
        try
        {
            // O_NOFOLLOW: a symlink planted at .new is refused (ELOOP), its target never opened.
            // O_NONBLOCK: a FIFO planted there cannot hold cdm in open(2).
            using var h = Posix.OpenAt(corepath.Handle, FileName, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_NONBLOCK, FileModes.Mode0600);
            var st = Posix.Fstat(h, FileName);
            if (!st.IsRegular || st.Uid != Posix.Geteuid())
                return $"uploader trigger {corepath.Path}/{FileName} is not a regular file of uid {Posix.Geteuid()}; not touched";
            Posix.TouchNow(h, FileName);
            return null;
        }
        catch (PosixException e) when (e.Errno == Posix.ELOOP)
        {
            return $"uploader trigger {corepath.Path}/{FileName} is a symlink; not followed, not touched";
        }
        catch (IOException e) { return $"uploader trigger {corepath.Path}/{FileName} not touched: {e.Message}"; }
    }
}
