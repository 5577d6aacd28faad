using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Policy;
using CoreDump.Cdm.Publish;
using CoreDump.Cdm.Slots;
using CoreDump.Metadata;
using CoreDump.Naming;
using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Cdm;

/// <summary>One capture, from the kernel's pipe to a published archive and its marker. The head of the
/// stream (the core's notes) is read first, so the directory, the crash-loop budget and the slot all belong
/// to the identity the kernel recorded. A crash that is not stored with its core leaves a drop record.</summary>
internal sealed class CaptureRun(Invocation inv, CoreFileConfig config, IReadOnlyList<string> configWarnings, CaptureLog log)
{
    public static readonly string Version = BuildVersion.Current;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly List<string> _notes = [];
    private int _suppressedBefore;
    private long _heldMs = -1;
    private string _daemon = inv.SafeName;
    private CoreHead _head = new() { Bytes = [], Elf = new() };
    private CrashIdentity? _identity;
    private string? _cgroup;
    private PrefixedStream? _input;
    private TimeCappedStdin? _timer;
    private readonly List<IDisposable> _resources = [];
    private ChunkSpool? _spool;

    /// <summary>Captures the crash whose core arrives on <paramref name="stdin"/>. The crashed process is
    /// released (stdin closed) in one place, as soon as everything that needs the pipe is done: the core read
    /// and compressed, or the decision not to read it. Metadata, publishing and drop records come after.</summary>
    public int Run(Stream stdin, string? osReleasePath)
    {
        try
        {
            Func<int> then;
            try { then = ReadCore(stdin, osReleasePath); }
            finally { Release(stdin); }
            return then();
        }
        finally
        {
            _resources.Reverse();
            foreach (var r in _resources) r.Dispose();
        }
    }

    /// <summary>Reads the head, decides, reserves a slot and streams the core into the archive. Returns what
    /// is left to do once the crashed process is released.</summary>
    private Func<int> ReadCore(Stream stdin, string? osReleasePath)
    {
        foreach (var w in configWarnings) log.Warn($"config: {w}");
        foreach (var w in inv.Warnings) log.Warn($"{inv.SafeName}: {w}");
        if (config.MaxCore == 0) return () => Done(0, "not kept (maxcore=0)", 0, 0);
        // Every read of the core, the head for its notes included, waits for the pipe only until the time cap.
        if (stdin is FileStream fs) { EnlargePipe(fs.SafeFileHandle); _timer = new TimeCappedStdin(fs, config.MaxCaptureTime); }
        Stream pipe = _timer ?? stdin;
        _head = CoreHead.Read(pipe);
        if (_head.ReadError is not null) _notes.Add($"reading the core failed after {_head.Bytes.Length} bytes: {_head.ReadError}");
        _identity = Identify();
        _daemon = _identity.Directory;
        _notes.AddRange(_identity.Notes);

        // The process's own opt-outs and the administrator's exclusions: nothing of the core is kept, and the
        // crashed process is released at once.
        var optOut = DropReason.FromProcess(inv.OptionInt("d"), CoreLimit()) ?? Excluded();
        if (optOut is { } o) return () => DropEarly(o.Reason, o.Detail, osReleasePath);

        var corepath = Keep(SafeDirectory.OpenPath(config.CorePath, FileModes.Mode0755, out var refusal));
        var daemonDir = Keep(corepath?.OpenChild(_daemon, FileModes.Mode0750, create: true, out refusal));
        if (daemonDir is null) return () => Done(0, $"dropped: {refusal}", _head.Bytes.Length, 0, failed: true);
        var store = new DaemonStore(daemonDir, _daemon);
        var admission = store.Admit(_started.ToUnixTimeSeconds(), config.RateBurst, config.RateInterval, _notes);
        if (!admission.Admit)
        {
            string detail = $"crash loop: more than {config.RateBurst} captures of {_daemon} in {config.RateInterval}s " +
                $"({admission.Next.Suppressed} suppressed since the last capture)";
            return () => DropRecord(corepath!, store, DropReason.RateLimited, detail, $"suppressed: {detail}", osReleasePath);
        }
        _suppressedBefore = admission.SuppressedBefore;
        if (_suppressedBefore > 0) _notes.Add($"{_suppressedBefore} crashes were suppressed by the crash-loop limit before this one");
        var reservation = store.Reserve(config.MaxCore, inv.CrashTime, _notes);
        if (reservation is null) return () => Done(0, "not kept", 0, 0);
        Keep(reservation.Temp);
        _input = new PrefixedStream(_head.Bytes, pipe);
        CoreArchiveWriter? writer = null;
        try
        {
            var gate = Keep(CaptureGate.Enter(corepath!, CaptureGate.MaxWait(config.MaxCaptureTime)));
            if (gate.Note is not null) _notes.Add(gate.Note);
            var guard = DiskGuard.Open(config, corepath!, reservation.Temp, _daemon, reservation.Name.Slot);
            guard.Check();
            guard.Spool = _spool = Keep(ChunkSpool.Open(SpoolPolicy.MaxSpoolBytes)); // the rest of its bounds: DiskGuard.MaySpool
            writer = new CoreArchiveWriter(reservation.Temp, config.Compression, DateTimeOffset.FromUnixTimeSeconds(inv.CrashTime), spool: guard.Spool);
            writer.AddFile("os-release", HostFacts.OsRelease(osReleasePath).Data, FileModes.Mode0644);
            writer.Modules = ModuleBuildIds.Plan(_head.Bytes);
            var core = writer.AddCore(reservation.Name.CoreMember, new GuardedInput(_input, guard, _timer), SizeLimit());
            return () => Publish(writer, reservation, store, guard, core, corepath!, osReleasePath);
        }
        catch (Exception e)
        {
            writer?.Dispose();
            return () => Failed(e, reservation, store, corepath!, osReleasePath);
        }
    }

    /// <summary>After the core: metadata.json, the archive's end, publishing.</summary>
    private int Publish(CoreArchiveWriter writer, DaemonStore.Reservation r, DaemonStore store, DiskGuard guard,
        CoreStreamResult core, SafeDirectory corepath, string? osReleasePath)
    {
        long archiveBytes;
        try
        {
            using (writer)
            {
                var metadata = BuildMetadata(r.Name, core) with { TruncatedReason = core.Truncated ? TruncatedReason(core) : null };
                metadata = ModuleBuildIds.Fill(metadata, writer.Modules, _head.Elf.ExecutablePathBytes);
                writer.AddFile("metadata.json", MetadataJson.Serialize(metadata), FileModes.Mode0644);
                writer.Finish();
                archiveBytes = writer.CompressedBytes;
            }
            _spool?.Dispose(); // every chunk is in the archive: the spool's space returns before the last check
            guard.CheckFinished(archiveBytes);
            string outcome = store.Publish(r, _notes);
            log.Published(corepath, r.Name);
            guard.Published(archiveBytes);
            if (core.Truncated) outcome += $" (truncated: {TruncatedReason(core)})";
            return Done(r.Name.Slot, outcome, core.BytesReceived, archiveBytes);
        }
        catch (Exception e) { return Failed(e, r, store, corepath, osReleasePath); }
    }

    /// <summary>A capture that failed before its archive was published: the temporary goes, a drop record
    /// says why, the slot's previous archive stays.</summary>
    private int Failed(Exception e, DaemonStore.Reservation r, DaemonStore store, SafeDirectory corepath, string? osReleasePath)
    {
        store.Abandon(r, _notes);
        r.Temp.Dispose();
        bool disk = e is RefusedException;
        string detail = disk ? e.Message : $"capture failed: {e.Message}";
        return DropRecord(corepath, store, disk ? DropReason.DiskGuard : DropReason.Error, detail,
            $"failed: {e.Message}; previous archives untouched", osReleasePath, failed: true);
    }

    /// <summary>Disposed when the run ends, in reverse order (after the work that follows the release).</summary>
    private T Keep<T>(T resource) where T : IDisposable?
    {
        if (resource is not null) _resources.Add(resource);
        return resource;
    }

    private CrashIdentity Identify()
    {
        bool? otherMount = null;
        // Only the kernel's %P names the process in cdm's /proc; the notes' pid is relative to its namespace.
        if (inv.OptionInt("P") is int hostPid and > 0)
        {
            otherMount = HostFacts.OtherMountNamespace(hostPid);
            _cgroup = HostFacts.Cgroup(hostPid);
        }
        return CrashIdentity.Resolve(inv, _head.Elf, otherMount);
    }

    /// <summary>%c: the crashed process's RLIMIT_CORE ("unlimited" arrives as 2^64-1).</summary>
    private ulong? CoreLimit() =>
        inv.Options.TryGetValue("c", out var v) && ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong c) ? c : null;

    private DropReason.OptOut? Excluded()
    {
        var id = _identity!;
        string name = DaemonName.Printable(id.ProcessName);
        return CaptureRules.Excluding(config.Exclude, config.Include, id.ExecutablePath, id.Uid, name) is { } rule
            ? new DropReason.OptOut(DropReason.Excluded, $"excluded by exclude={rule} in core_file.conf (process {name}, uid {id.Uid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, executable {id.ExecutablePath ?? "unknown"})")
            : null;
    }

    /// <summary>maxcoresize, or the crashed process's RLIMIT_CORE when that is stricter (and a page or more).</summary>
    private long SizeLimit() => DropReason.Stricter(config.MaxCoreSize, DropReason.CoreLimitBytes(CoreLimit()));

    /// <summary>A core cut at the process's own RLIMIT_CORE says so, not maxcoresize.</summary>
    private string? TruncatedReason(CoreStreamResult core)
    {
        long rlimit = DropReason.CoreLimitBytes(CoreLimit()), limit = SizeLimit();
        if (rlimit > 0 && limit == rlimit && core.BytesStored == rlimit && core.BytesReceived >= rlimit)
            return $"core larger than the process's RLIMIT_CORE (c={rlimit} bytes); cut there";
        return core.TruncatedReason;
    }

    /// <summary>A larger pipe lets the kernel write ahead while cdm compresses: 8 MiB (root may exceed
    /// fs.pipe-max-size), else 1 MiB.</summary>
    private static void EnlargePipe(SafeHandle pipe)
    {
        // not a pipe, or no room: the kernel's default buffer still works, only slower
        _ = Posix.TrySetPipeSize(pipe, 8 << 20) || Posix.TrySetPipeSize(pipe, 1 << 20);
    }

    /// <summary>Closes the core's pipe: the kernel finishes the crashed process.</summary>
    private void Release(Stream stdin)
    {
        stdin.Dispose();
        _heldMs = _clock.ElapsedMilliseconds;
    }

    private long BytesReceived => _input?.BytesRead ?? _head.Bytes.Length;

    /// <summary>A drop record decided before the directory was opened (opt-outs, exclusion).</summary>
    private int DropEarly(string reason, string detail, string? osReleasePath)
    {
        log.Dropping(reason);
        using var corepath = SafeDirectory.OpenPath(config.CorePath, FileModes.Mode0755, out var refusal);
        using var daemonDir = corepath?.OpenChild(_daemon, FileModes.Mode0750, create: true, out refusal);
        string outcome = $"dropped ({reason}): {detail}";
        if (daemonDir is null) return Done(0, $"{outcome}; no drop record: {refusal}", BytesReceived, 0);
        return DropRecord(corepath!, new DaemonStore(daemonDir, _daemon), reason, detail, outcome, osReleasePath);
    }

    /// <summary>Writes <c>&lt;dir&gt;.&lt;k&gt;.&lt;t&gt;.drop.tar.gz</c> (os-release and metadata.json, no core) and its
    /// .pending marker, in maxdrop rotating slots, never below the drop-record free-space floor. Whatever
    /// happens, the log line remains.</summary>
    private int DropRecord(SafeDirectory corepath, DaemonStore store, string reason, string detail, string outcome, string? osReleasePath, bool failed = false)
    {
        log.Dropping(reason);
        long received = BytesReceived;
        if (config.MaxDrop == 0) return Done(0, $"{outcome}; no drop record (maxdrop=0)", received, 0, failed);
        if (AvailableBytes(corepath) is long free && !DropReason.MayWriteDropRecord(free))
            return Done(0, $"{outcome}; no drop record: less than {DropReason.FreeSpaceFloor >> 20} MiB free on the corepath filesystem", received, 0, failed);
        DaemonStore.Reservation? r = null;
        try
        {
            r = store.Reserve(config.MaxDrop, inv.CrashTime, _notes, drop: true);
            if (r is null) return Done(0, $"{outcome}; no drop record", received, 0, failed);
            long bytes;
            using (var writer = new CoreArchiveWriter(r.Temp, config.Compression, DateTimeOffset.FromUnixTimeSeconds(inv.CrashTime)))
            {
                writer.AddFile("os-release", HostFacts.OsRelease(osReleasePath).Data, FileModes.Mode0644);
                var none = new CoreStreamResult(received, 0, _head.Elf.ExpectedSize, false, null, _head.Elf);
                var metadata = BuildMetadata(r.Name, none) with { CoreMember = null, DropReason = reason, DropDetail = detail };
                writer.AddFile("metadata.json", MetadataJson.Serialize(metadata), FileModes.Mode0644);
                writer.Finish();
                bytes = writer.CompressedBytes;
            }
            string published = store.Publish(r, _notes);
            log.Published(corepath, r.Name);
            return Done(r.Name.Slot, $"{outcome}; drop record {r.Name.FileName} {published}", received, bytes, failed);
        }
        catch (Exception e)
        {
            if (r is not null) store.Abandon(r, _notes);
            return Done(0, $"{outcome}; drop record failed: {e.Message}", received, 0, failed: true);
        }
        finally { r?.Temp.Dispose(); }
    }

    /// <summary>Free bytes on the corepath filesystem; null when it cannot be asked (the drop record is then
    /// attempted: it is small, and the disk guard's policy is about the core).</summary>
    private static long? AvailableBytes(SafeDirectory corepath)
    {
        try { return Posix.FstatVfs(corepath.Handle, corepath.Path).AvailableBytes; }
        catch (PosixException) { return null; }
    }

    private CaptureMetadata BuildMetadata(ArchiveName name, CoreStreamResult core)
    {
        var elf = _head.Elf;
        var id = _identity!;
        return new CaptureMetadata
        {
            CdmVersion = Version,
            Argv = inv.Argv,
            RawName = DaemonName.Printable(inv.RawName),
            SafeName = inv.SafeName,
            DaemonDir = _daemon,
            IdentityVerified = id.Verified,
            Slot = name.Slot,
            CoreMember = name.CoreMember,
            CrashTime = inv.CrashTime,
            CrashTimeFromArgs = inv.CrashTimeFromArgs,
            CaptureStarted = _started,
            CaptureFinished = DateTimeOffset.UtcNow,
            Options = inv.Options,
            KernelRelease = HostFacts.KernelRelease(),
            Hostname = inv.Options.GetValueOrDefault("h") ?? HostFacts.Hostname(),
            CoreBytesReceived = core.BytesReceived,
            CoreBytesStored = core.BytesStored,
            CoreBytesExpected = core.BytesExpected,
            Truncated = core.Truncated,
            TruncatedReason = core.TruncatedReason,
            IsElfCore = elf.IsCore,
            Pid = id.HostPid,
            NamespacePid = id.NamespacePid,
            ForeignNamespace = id.ForeignNamespace,
            Cgroup = _cgroup,
            Dumpable = inv.OptionInt("d"),
            Signal = elf.Signal ?? inv.OptionInt("s"),
            Uid = id.Uid,
            Gid = inv.OptionInt("g") ?? elf.Gid,
            ProcessName = elf.ProcessName,
            CommandLine = elf.CommandLine,
            ExecutablePath = id.ExecutablePath,
            FaultAddress = elf.FaultAddress,
            Threads = elf.Threads,
            MappedFiles = elf.MappedFiles,
            SuppressedSinceLast = _suppressedBefore,
            Warnings = [.. inv.Warnings, .. configWarnings, .. _notes],
        };
    }

    private int Done(int slot, string outcome, long bytesIn, long bytesOut, bool failed = false)
    {
        foreach (var n in _notes) log.Info($"{_daemon}: {n}");
        // held_ms: how long the crashed process was kept waiting for cdm to close stdin (with core_pipe_limit > 0)
        string held = _heldMs >= 0 ? $" held_ms={_heldMs}" : "";
        // spooled: bytes set aside uncompressed while the compressors caught up (ChunkSpool)
        string spooled = _spool?.BytesSpooled > 0 ? $" spooled={_spool.BytesSpooled}" : "";
        string line = $"capture daemon={_daemon} slot={slot} in={bytesIn} out={bytesOut} ms={_clock.ElapsedMilliseconds}{held}{spooled} {IsalDeflate.LogField} outcome={outcome}";
        if (failed) log.Warn(line); else log.Info(line);
        log.Record(_daemon, _identity?.HostPid ?? inv.OptionInt("P"), _identity?.Uid ?? inv.OptionInt("u"), _head.Elf.Signal ?? inv.OptionInt("s"), slot, outcome, _heldMs, failed);
        return failed ? 1 : 0;
    }
}
