namespace CoreDump.Uploader;

/// <summary>sysexits.h codes, as a Linux administrator expects them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0, Failure = 1, Usage = 64, DataErr = 65, NoInput = 66, Unavailable = 69, Software = 70,
        CantCreate = 73, IoErr = 74, TempFail = 75, Config = 78;
}
