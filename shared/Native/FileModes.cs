namespace CoreDump.Native;

/// <summary>Permission bits by their octal names, for the modes CoreDump creates and checks.</summary>
internal static class FileModes
{
    private const UnixFileMode R = UnixFileMode.UserRead, W = UnixFileMode.UserWrite, X = UnixFileMode.UserExecute;
    public const UnixFileMode Mode0400 = R;
    public const UnixFileMode Mode0505 = R | X | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    public const UnixFileMode Mode0600 = R | W;
    public const UnixFileMode Mode0640 = R | W | UnixFileMode.GroupRead;
    public const UnixFileMode Mode0644 = R | W | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode Mode0700 = R | W | X;
    public const UnixFileMode Mode0750 = R | W | X | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    public const UnixFileMode Mode0755 = Mode0750 | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    /// <summary>022: write access for group or others.</summary>
    public const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    /// <summary>077: any access for group or others.</summary>
    public const UnixFileMode GroupOrOtherAny = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    /// <summary>027: the programs' umask (nothing for others, no group write).</summary>
    public const UnixFileMode Umask027 = UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
}
