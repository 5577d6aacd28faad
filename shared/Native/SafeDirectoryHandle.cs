using System.Runtime.InteropServices;

namespace CoreDump.Native;

/// <summary>An open directory descriptor (O_DIRECTORY), the anchor of *at() calls; closed on dispose.
/// <see cref="CurrentDirectory"/> is AT_FDCWD: paths relative to the working directory, nothing to close.</summary>
internal sealed class SafeDirectoryHandle : SafeHandle
{
    public static readonly SafeDirectoryHandle CurrentDirectory = new(Posix.AT_FDCWD, ownsHandle: false);

    public SafeDirectoryHandle() : base(-1, ownsHandle: true) { }

    public SafeDirectoryHandle(int fd, bool ownsHandle) : base(-1, ownsHandle) => SetHandle(fd);

    /// <summary>/proc/self/fd/N: the directory by its descriptor (symlinks in its path resolved), for APIs
    /// that take a path. Valid while this handle is open.</summary>
    public string ProcPath => $"/proc/self/fd/{(int)handle}";

    public override bool IsInvalid => handle == -1;

    protected override bool ReleaseHandle() => Posix.CloseRaw((int)handle) == 0;
}
