using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Uploader.Processing;

/// <summary>The folder for extracted cores (0700). Only the run holding the lock uses it, so anything left
/// in it at the start of a run belongs to a killed run and is removed. It is opened like cdm's directories:
/// a symlink, a foreign owner or group/other write access is refused, so a planted link can neither receive
/// a core nor have its target's contents removed.</summary>
public sealed class WorkDir(string path)
{
    private const uint Private = 0x1C0; // 0700
    public string Path { get; } = path;

    public int RemoveLeftovers()
    {
        using var dir = Open();
        int removed = 0;
        foreach (var name in dir.List())
        {
            string entry = System.IO.Path.Combine(Path, name);
            try
            {
                if (dir.TryStat(name, out var st) && st.IsDirectory) Directory.Delete(entry, true); // never follows links inside
                else dir.Unlink(name);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    public string CreatePrivate()
    {
        using var dir = Open();
        string name = $"x.{Environment.ProcessId}.{Guid.NewGuid():N}";
        int rc = Posix.MkdirAt(dir.Fd, name, Private);
        if (rc < 0) throw new IOException($"cannot create {name} in {Path}: {Posix.Describe(-rc)}");
        return System.IO.Path.Combine(Path, name);
    }

    public void Remove(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private SafeDirectory Open() =>
        SafeDirectory.OpenPath(Path, Private, out var refusal) ?? throw new IOException($"work_dir refused: {refusal}");
}
