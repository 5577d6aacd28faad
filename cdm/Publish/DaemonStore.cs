using Microsoft.Win32.SafeHandles;
using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Policy;
using CoreDump.Cdm.Slots;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Cdm.Publish;

/// <summary>One daemon directory (one identity): slot reservation and publishing of core archives and drop
/// records, serialized by flock on the directory so that concurrent captures keep the slot rule exact.</summary>
internal sealed class DaemonStore(SafeDirectory dir, string daemon)
{
    public const uint ArchiveMode = 0x1A0; // 0640

    public const string RateFile = ".ratelimit";

    public sealed record Reservation(ArchiveName Name, string TempName, SafeFileHandle Temp);

    /// <summary>The crash-loop limit: records this crash in the daemon's window and says whether to capture it.</summary>
    public CrashLoopLimit.Decision Admit(long now, int burst, int interval)
    {
        dir.TryLock(wait: true);
        try
        {
            var state = CrashLoopLimit.State.Parse(dir.ReadSmall(RateFile, 256) is { } rate ? System.Text.Encoding.ASCII.GetString(rate) : null);
            var decision = CrashLoopLimit.Decide(state, now, burst, interval);
            dir.WriteAtomically(RateFile, System.Text.Encoding.ASCII.GetBytes(decision.Next.Serialize()), ArchiveMode, out _, durable: false);
            return decision;
        }
        finally { dir.Unlock(); }
    }

    /// <summary>Cleans leftovers of killed runs, chooses the slot and creates the locked temporary.
    /// Core archives and drop records have separate slots (maxcore, maxdrop) and never take each other's.
    /// Returns null when nothing is to be kept (a maximum of 0).</summary>
    public Reservation? Reserve(int max, long crashTime, List<string> notes, bool drop = false)
    {
        dir.TryLock(wait: true);
        try
        {
            var taken = new HashSet<int>();
            foreach (var name in dir.List())
            {
                if (ArchiveName.Parse(name, daemon) is { } a) { if (a.Drop == drop) taken.Add(a.Slot); }
                else if (ArchiveName.ParseTemp(name, daemon) is { } t)
                {
                    if (!dir.IsRegularFile(name)) { dir.Unlink(name); notes.Add($"removed {name}: not a regular file (planted?)"); }
                    else if (IsAbandoned(name)) { dir.Unlink(name); notes.Add($"removed leftover {name} of a killed capture"); }
                    else if (t.Name.Drop == drop) taken.Add(t.Name.Slot);
                }
            }
            int slot = SlotPolicy.Choose(max, taken);
            if (slot == 0) return null;
            var archive = new ArchiveName(daemon, slot, crashTime, drop);
            string temp = archive.TempName(Posix.Getpid());
            dir.Unlink(temp);
            var handle = dir.CreateExclusive(temp, 0x180 /* 0600 */, out int errno)
                ?? throw new IOException($"cannot create {temp} in {dir.Path}: {Posix.Describe(errno)}");
            Posix.Flock((int)handle.DangerousGetHandle(), Posix.LOCK_EX);
            return new Reservation(archive, temp, handle);
        }
        finally { dir.Unlock(); }
    }

    /// <summary>Makes the finished temporary the slot's archive: fsync, rename, marker, then (only then)
    /// removes the previous occupant of the slot. Returns the outcome for the log.</summary>
    public string Publish(Reservation r, List<string> notes)
    {
        if (Posix.Fsync((int)r.Temp.DangerousGetHandle()) is int e and < 0) throw new IOException($"fsync: {Posix.Describe(-e)}");
        Posix.Fchmod((int)r.Temp.DangerousGetHandle(), ArchiveMode);
        dir.TryLock(wait: true);
        try
        {
            var occupants = dir.List().Select(n => ArchiveName.Parse(n, daemon)).OfType<ArchiveName>()
                .Where(a => a.Drop == r.Name.Drop && a.Slot == r.Name.Slot && a.FileName != r.Name.FileName).ToList();
            if (occupants.Any(o => !SlotPolicy.Replaces(r.Name.UnixTime, o.UnixTime)))
            {
                dir.Unlink(r.TempName);
                return $"superseded: slot {r.Name.Slot} already holds a later crash";
            }
            string final = r.Name.FileName;
            bool replacedSameName = dir.IsRegularFile(final);
            int rc = dir.Rename(r.TempName, final);
            if (rc < 0) throw new IOException($"rename to {final}: {Posix.Describe(-rc)}");
            dir.Sync();
            foreach (var companion in StateFiles.Companions(final)) dir.Unlink(companion);
            dir.WriteAtomically(StateFiles.Marker(final, ArchiveState.Pending), [], ArchiveMode, out var markerError);
            if (markerError is not null) notes.Add($"marker not written: {markerError}");
            foreach (var old in occupants) Remove(old.FileName);
            return occupants.Count > 0 ? $"stored, replaced {string.Join(",", occupants.Select(o => o.FileName))}"
                : replacedSameName ? "stored, replaced an archive of the same name" : "stored";
        }
        finally { dir.Unlock(); }
    }

    /// <summary>Drops an unfinished capture (its temporary).</summary>
    public void Abandon(Reservation r) => dir.Unlink(r.TempName);

    private void Remove(string archive)
    {
        foreach (var companion in StateFiles.Companions(archive)) dir.Unlink(companion);
        dir.Unlink(archive);
    }

    /// <summary>A temporary whose writer died holds no lock any more.</summary>
    private bool IsAbandoned(string name)
    {
        using var h = dir.OpenExisting(name, write: false, out _);
        if (h is null) return false;
        return Posix.Flock((int)h.DangerousGetHandle(), Posix.LOCK_EX | Posix.LOCK_NB) == 0;
    }
}
