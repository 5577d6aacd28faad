namespace CoreDump.Store;

/// <summary>corewatcher's states, kept as one marker file beside each archive (docs/markers.md).
/// A marker moves between states only by rename(2), so exactly one exists at any time.</summary>
internal enum ArchiveState { Pending, Processed, Submitted, Rejected }

/// <summary>The one place a state is spelled. Its name is the marker's suffix after the dot, the state
/// `uploader list` prints and its JSON carries, and a value `list --state` accepts.</summary>
internal static class ArchiveStates
{
    private static readonly (ArchiveState State, string Name)[] Table =
    [
        (ArchiveState.Pending, "pending"),
        (ArchiveState.Processed, "processed"),
        (ArchiveState.Submitted, "submitted"),
        (ArchiveState.Rejected, "rejected"),
    ];

    public static IReadOnlyList<ArchiveState> All { get; } = Array.ConvertAll(Table, t => t.State);
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Table, t => t.Name);

    public static string Name(ArchiveState s)
    {
        foreach (var (state, name) in Table)
            if (state == s) return name;
        throw new ArgumentOutOfRangeException(nameof(s), s, "not an archive state");
    }

    /// <summary>The state spelled <paramref name="name"/> (exactly, lower case), or null.</summary>
    public static ArchiveState? Parse(string name)
    {
        foreach (var (state, n) in Table)
            if (n == name) return state;
        return null;
    }
}
