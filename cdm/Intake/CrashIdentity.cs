using System.Globalization;

namespace CoreDump.Cdm.Intake;

/// <summary>Who crashed, from what the process cannot forge: the kernel's own records in the core
/// (NT_PRPSINFO: the thread-group leader's comm and uid; NT_FILE ∩ AT_ENTRY: the executable) and the
/// kernel's core_pattern specifiers (%u, %E, %P, %p), never the crashing thread's %e alone.</summary>
internal sealed record CrashIdentity
{
    /// <summary>The daemon directory (see <see cref="DaemonIdentity"/>).</summary>
    public required string Directory { get; init; }
    public required byte[] ProcessName { get; init; }
    public int? Uid { get; init; }
    /// <summary>The executable path, bytes outside printable ASCII as \xNN; null when unknown.</summary>
    public string? ExecutablePath { get; init; }
    /// <summary>The pid as the host sees it (%P, else the notes).</summary>
    public int? HostPid { get; init; }
    /// <summary>The pid in the process's own PID namespace (%p, else the notes, which the kernel writes
    /// relative to the crashed process's namespace).</summary>
    public int? NamespacePid { get; init; }
    public bool ForeignNamespace { get; init; }
    /// <summary>The core's notes were read: the name and uid are the kernel's, not the arguments'.</summary>
    public bool Verified { get; init; }
    public List<string> Notes { get; init; } = [];

    public const string UnverifiedWarning = "identity unverified";

    /// <param name="inv">the arguments</param>
    /// <param name="elf">what the head of the stream said</param>
    /// <param name="otherMountNamespace">the crashed process's mount namespace differs from cdm's (null: not known)</param>
    public static CrashIdentity Resolve(Invocation inv, ElfCoreInfo elf, bool? otherMountNamespace)
    {
        var notes = new List<string>();
        bool verified = elf.ProcessNameBytes is not null;
        byte[] name = elf.ProcessNameBytes ?? inv.RawName;

        // %u is the uid as the initial user namespace sees it; NT_PRPSINFO's pr_uid is relative to the
        // process's own user namespace (0 inside an unprivileged container), so %u wins when given.
        int? argUid = inv.OptionInt("u");
        int? uid = argUid ?? elf.Uid;
        if (argUid is int a && elf.Uid is int e && a != e)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"uid {e} in the process's user namespace is uid {a} on the host"));

        // %E is the kernel's record of the executable (mm->exe_file), which the process cannot replace; the
        // NT_FILE mapping at AT_ENTRY is the fallback (a process can map another file there).
        string? exe = inv.Options.GetValueOrDefault("E")?.Replace('!', '/');
        if (exe is null && elf.ExecutablePathBytes is { } raw) exe = DaemonName.Printable(raw);

        int? argPid = inv.OptionInt("P"), argNsPid = inv.OptionInt("p");
        int? hostPid = argPid ?? elf.Pid;
        int? nsPid = argNsPid ?? elf.Pid;
        bool otherPidNamespace = argPid is int hp && nsPid is int np && hp != np;
        bool foreign = otherPidNamespace || otherMountNamespace == true;
        if (otherPidNamespace) notes.Add(string.Create(CultureInfo.InvariantCulture, $"crash from another PID namespace: pid {hostPid} on the host is pid {nsPid} in its namespace"));
        if (otherMountNamespace == true) notes.Add("crash from another mount namespace: its executable path is relative to that namespace");

        if (!verified)
        {
            string why = !elf.IsElf ? "the input is not an ELF core" : "the core's NT_PRPSINFO note could not be read";
            notes.Add($"{UnverifiedWarning}: {why}; the directory is chosen from the arguments (%e, u=, E=)");
        }
        return new CrashIdentity
        {
            Directory = DaemonIdentity.DirectoryName(name, uid, exe, foreign),
            ProcessName = name, Uid = uid, ExecutablePath = exe, HostPid = hostPid, NamespacePid = nsPid,
            ForeignNamespace = foreign, Verified = verified, Notes = notes,
        };
    }
}
