using System.Text.RegularExpressions;
using CoreDump.Store;

namespace CoreDump.Uploader.Markers;

/// <summary>SafeDirectory.WriteAtomically writes ".&lt;name&gt;.&lt;pid&gt;.w" and renames it; a writer killed
/// in between leaves it behind. In a daemon directory every such write (cdm's marker and rate file, the
/// uploader's markers and reports) happens under the directory's flock, so one seen while holding that lock
/// is a leftover. The outbox is written only under the uploader's run lock.</summary>
internal static partial class Leftovers
{
    [GeneratedRegex(@"^\..+\.[0-9]+\.w$")]
    private static partial Regex AtomicWriteTemp();

    public static bool IsAtomicWriteTemp(string name) => AtomicWriteTemp().IsMatch(name);

    /// <summary>Removes leftover temporaries; the caller holds the lock that serializes the writers.</summary>
    public static int RemoveFrom(SafeDirectory dir) =>
        dir.List().Where(IsAtomicWriteTemp).Count(n => dir.IsRegularFile(n) && dir.TryUnlink(n));

    /// <summary>Removes leftovers in every daemon directory under corepath, each under its flock.</summary>
    public static int RemoveUnder(string corePath)
    {
        int removed = 0;
        foreach (var (_, dir) in ArchiveScanner.DaemonDirectories(corePath))
        {
            try
            {
                using var held = dir.Lock();
                removed += RemoveFrom(dir);
            }
            catch (IOException) { } // unlocked, a temporary may be a live write; what cannot be removed stays for a later run
        }
        return removed;
    }
}
