namespace CoreDump.Native;

/// <summary>A failed system call: which call, on which path, and the errno.</summary>
internal sealed class PosixException(string call, string? path, int errno)
    : IOException(path is null ? $"{call}: {Posix.Describe(errno)}" : $"{call} {path}: {Posix.Describe(errno)}")
{
    public int Errno { get; } = errno;
    public string Call { get; } = call;
    public string? Path { get; } = path;
}
