namespace CoreDump.Uploader.Processing;

/// <summary>The folder for extracted cores (0700). Only the run holding the lock uses it, so anything left
/// in it at the start of a run belongs to a killed run and is removed.</summary>
public sealed class WorkDir(string path)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public string Path { get; } = path;

    public int RemoveLeftovers()
    {
        Directory.CreateDirectory(Path, Private);
        File.SetUnixFileMode(Path, Private);
        int removed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path))
        {
            try
            {
                if (Directory.Exists(entry) && (File.GetAttributes(entry) & FileAttributes.ReparsePoint) == 0) Directory.Delete(entry, true);
                else File.Delete(entry);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    public string CreatePrivate()
    {
        Directory.CreateDirectory(Path, Private);
        string dir = System.IO.Path.Combine(Path, $"x.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir, Private);
        return dir;
    }

    public void Remove(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
