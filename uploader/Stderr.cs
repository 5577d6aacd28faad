namespace CoreDump.Uploader;

/// <summary>Lines for the admin on stderr, each led by the installed program's name.</summary>
internal static class Stderr
{
    public const string Prefix = "cdm-uploader: ";

    public static void Say(string message) => Console.Error.WriteLine(Prefix + message);
}
