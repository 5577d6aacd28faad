using CoreDump.Cdm.Policy;
using CoreDump.Cdm.Slots;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Cdm.Publish;

/// <summary>One daemon directory (one identity): slot reservation and publishing of core archives and drop
/// records, serialized by flock on the directory so that concurrent captures keep the slot rule exact.</summary>
internal sealed class DaemonStore(SafeDirectory dir, string daemon)
{
    public const UnixFileMode ArchiveMode = FileModes.Mode0640;
    /// <summary>A capture's temporary until it is published (then <see cref="ArchiveMode"/>).</summary>
    public const UnixFileMode TempMode = FileModes.Mode0600;

    public const string RateFile = ".ratelimit";

    public sealed record Reservation(ArchiveName Name, string TempName, SafeFileHandle Temp);

    /// <summary>The crash-loop limit: records this crash in the daemon's window and says whether to capture it.</summary>
    public CrashLoopLimit.Decision Admit(long now, int burst, int interval, List<string> notes)
    {
        using var held = Lock(notes);
        var state = CrashLoopLimit.State.Parse(dir.ReadSmall(RateFile, 256) is { } rate ? System.Text.Encoding.ASCII.GetString(rate) : null);
        var decision = CrashLoopLimit.Decide(state, now, burst, interval);
        try { dir.WriteAtomically(RateFile, System.Text.Encoding.ASCII.GetBytes(decision.Next.Serialize()), ArchiveMode, durable: false); }
        catch (IOException e) { notes.Add($"crash-loop window not recorded: {e.Message}"); }
        return decision;
    }

    /// <summary>Cleans leftovers of killed runs, chooses the slot and creates the locked temporary.
    /// Core archives and drop records have separate slots (maxcore, maxdrop) and never take each other's.
    /// Returns null when nothing is to be kept (a maximum of 0).</summary>
    public Reservation? Reserve(int max, long crashTime, List<string> notes, bool drop = false)
    {
        using var held = Lock(notes);
        var taken = new HashSet<int>();
        foreach (var name in dir.List())
        {
            if (ArchiveName.Parse(name, daemon) is { } a) { if (a.Drop == drop) taken.Add(a.Slot); }
            else if (ArchiveName.ParseTemp(name, daemon) is { } t)
            {
                if (!dir.IsRegularFile(name)) Remove(name, "not a regular file (planted?)", notes);
                else if (IsAbandoned(name)) Remove(name, "leftover of a killed capture", notes);
                else if (t.Name.Drop == drop) taken.Add(t.Name.Slot);
            }
        }
        int slot = SlotPolicy.Choose(max, taken);
        if (slot == 0) return null;
        var archive = new ArchiveName(daemon, slot, crashTime, drop);
        string temp = archive.TempName(Posix.Getpid());
        _ = dir.TryUnlink(temp); // a temporary of a killed run with our pid; usually not there
        var handle = dir.CreateExclusive(temp, TempMode);
        Posix.Flock(handle, Posix.LOCK_EX, temp); // held while the capture lives: see IsAbandoned
        return new Reservation(archive, temp, handle);
    }

    /// <summary>Makes the finished temporary the slot's archive: fsync, rename, marker, then (only then)
    /// removes the previous occupant of the slot. Returns the outcome for the log. Throws only before the
    /// rename; once the archive is in place, every later failure is a note and the archive stays.</summary>
    public string Publish(Reservation r, List<string> notes)
    {
        // before the rename: a write-back error means the archive on disk is not what was written
        Posix.Fsync(r.Temp, r.TempName);
        try { Posix.Fchmod(r.Temp, ArchiveMode, r.TempName); }
        catch (PosixException e) { notes.Add($"archive left mode 0600: {e.Message}"); }
        using var held = Lock(notes);
        var occupants = dir.List().Select(n => ArchiveName.Parse(n, daemon)).OfType<ArchiveName>()
            .Where(a => a.Drop == r.Name.Drop && a.Slot == r.Name.Slot && a.FileName != r.Name.FileName).ToList();
        if (occupants.Any(o => !SlotPolicy.Replaces(r.Name.UnixTime, o.UnixTime)))
        {
            Abandon(r, notes);
            return $"superseded: slot {r.Name.Slot} already holds a later crash";
        }
        string final = r.Name.FileName;
        bool replacedSameName = dir.IsRegularFile(final);
        dir.Rename(r.TempName, final);
        try { dir.Sync(); }
        catch (PosixException e) { notes.Add($"{final} published, but {e.Message}: it may not survive a power loss"); }
        foreach (var companion in StateFiles.Companions(final)) Remove(companion, null, notes);
        try { dir.WriteAtomically(StateFiles.Marker(final, ArchiveState.Pending), [], ArchiveMode); }
        catch (IOException e) { notes.Add($"marker not written: {e.Message}"); }
        foreach (var old in occupants) RemoveArchive(old.FileName, notes);
        return occupants.Count > 0 ? $"stored, replaced {string.Join(",", occupants.Select(o => o.FileName))}"
            : replacedSameName ? "stored, replaced an archive of the same name" : "stored";
    }

    /// <summary>Drops an unfinished capture (its temporary). A temporary that cannot be removed is noted;
    /// the next capture of this daemon removes it (it holds no lock once this process is gone).</summary>
    public void Abandon(Reservation r, List<string> notes) => Remove(r.TempName, null, notes);

    /// <summary>The daemon directory's lock. A filesystem that refuses flock (NFS refuses LOCK_EX on a
    /// read-only descriptor) must not cost the crash: the capture goes on unlocked and says so.</summary>
    private DirectoryLock? Lock(List<string> notes)
    {
        try { return dir.Lock(); }
        catch (PosixException e) { notes.Add($"went on without the directory lock: {e.Message}"); return null; }
    }

    private void RemoveArchive(string archive, List<string> notes)
    {
        foreach (var companion in StateFiles.Companions(archive)) Remove(companion, null, notes);
        Remove(archive, null, notes);
    }

    /// <summary>Removes a name if it is there; with <paramref name="why"/>, says so in the notes. A failure
    /// is a note: nothing here is worth a capture.</summary>
    private void Remove(string name, string? why, List<string> notes)
    {
        try { if (dir.TryUnlink(name) && why is not null) notes.Add($"removed {name}: {why}"); }
        catch (PosixException e) { notes.Add($"cannot remove {name}: {e.Message}"); }
    }

    /// <summary>A temporary whose writer died holds no lock any more. One that cannot be opened or locked
    /// counts as live: it is kept, and its slot stays taken.</summary>
    private bool IsAbandoned(string name)
    {
        try
        {
            using var h = dir.TryOpenRegular(name, write: false);
            return h is not null && Posix.TryFlock(h, Posix.LOCK_EX, name);
        }
        catch (PosixException) { return false; }
    }
}
