using System.Diagnostics;
using System.Text.Json;
using CoreDump.Archive;
using CoreDump.Capture;
using CoreDump.Config;
using CoreDump.Metadata;
using CoreDump.Native;
using CoreDump.Naming;
using CoreDump.Store;

namespace CoreDump.Cdm;

/// <summary>One capture, from the kernel's pipe to a published archive and its marker.</summary>
public sealed class CaptureRun(Invocation inv, CoreFileConfig config, IReadOnlyList<string> configWarnings, CaptureLog log)
{
    public const string Version = "0.1.0";
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly List<string> _notes = [];
    private int _suppressedBefore;
    private long _heldMs = -1;

    public int Run(Stream stdin, string? osReleasePath)
    {
        foreach (var w in configWarnings) log.Warn($"config: {w}");
        foreach (var w in inv.Warnings) log.Warn($"{inv.SafeName}: {w}");
        if (config.MaxCore == 0)
        {
            stdin.Dispose();
            return Done(0, "not kept (maxcore=0)", 0, 0);
        }
        using var corepath = SafeDirectory.OpenPath(config.CorePath, 0x1ED /* 0755 */, out var refusal);
        using var daemonDir = corepath?.OpenChild(inv.SafeName, 0x1E8 /* 0750 */, create: true, out refusal);
        if (daemonDir is null)
        {
            stdin.Dispose();
            return Done(0, $"dropped: {refusal}", 0, 0, failed: true);
        }
        var store = new DaemonStore(daemonDir, inv.SafeName);
        var admission = store.Admit(_started.ToUnixTimeSeconds(), config.RateBurst, config.RateInterval);
        if (!admission.Admit)
        {
            stdin.Dispose();
            return Done(0, $"suppressed: crash loop, more than {config.RateBurst} captures in {config.RateInterval}s " +
                $"({admission.Next.Suppressed} suppressed since the last capture)", 0, 0);
        }
        _suppressedBefore = admission.SuppressedBefore;
        if (_suppressedBefore > 0) _notes.Add($"{_suppressedBefore} crashes were suppressed by the crash-loop limit before this one");
        var reservation = store.Reserve(config.MaxCore, inv.CrashTime, _notes);
        if (reservation is null) { stdin.Dispose(); return Done(0, "not kept", 0, 0); }
        try
        {
            using var gate = CaptureGate.Enter(corepath!, CaptureGate.MaxWait(config.MaxCaptureTime));
            if (gate.Note is not null) _notes.Add(gate.Note);
            var guard = DiskGuard.Open(config, corepath!, reservation.Temp, inv.SafeName, reservation.Name.Slot);
            guard.Check();
            var (core, archiveBytes) = WriteArchive(reservation, new GuardedInput(stdin, guard), stdin, osReleasePath);
            string outcome = store.Publish(reservation, _notes);
            guard.Published(archiveBytes);
            if (core.Truncated) outcome += $" (truncated: {core.TruncatedReason})";
            return Done(reservation.Name.Slot, outcome, core.BytesReceived, archiveBytes);
        }
        catch (Exception e)
        {
            stdin.Dispose();
            store.Abandon(reservation);
            return Done(reservation.Name.Slot, $"failed: {e.Message}; previous archives untouched", 0, 0, failed: true);
        }
        finally { reservation.Temp.Dispose(); }
    }

    private (CoreStreamResult Core, long ArchiveBytes) WriteArchive(DaemonStore.Reservation r, Stream input, Stream stdin, string? osReleasePath)
    {
        var mtime = DateTimeOffset.FromUnixTimeSeconds(inv.CrashTime);
        using var writer = new CoreArchiveWriter(r.Temp, config.Compression, mtime);
        var (osRelease, _) = HostFacts.OsRelease(osReleasePath);
        writer.AddFile("os-release", osRelease, 0x1A4 /* 0644 */);
        if (stdin is FileStream { SafeFileHandle: var h }) EnlargePipe((int)h.DangerousGetHandle());
        var core = writer.AddCore(r.Name.CoreMember, input, config.MaxCoreSize);
        stdin.Dispose(); // releases the crashed process (core_pipe_limit)
        _heldMs = _clock.ElapsedMilliseconds;
        var metadata = BuildMetadata(r, core);
        writer.AddFile("metadata.json", JsonSerializer.SerializeToUtf8Bytes(metadata, MetadataJsonContext.Default.CaptureMetadata), 0x1A4);
        writer.Finish();
        return (core, writer.CompressedBytes);
    }

    /// <summary>A larger pipe lets the kernel write ahead while cdm compresses: 8 MiB (root may exceed
    /// fs.pipe-max-size), else 1 MiB.</summary>
    private static void EnlargePipe(int fd)
    {
        if (Posix.SetPipeSize(fd, 8 << 20) < 0) Posix.SetPipeSize(fd, 1 << 20);
    }

    private CaptureMetadata BuildMetadata(DaemonStore.Reservation r, CoreStreamResult core)
    {
        var elf = core.Elf;
        return new CaptureMetadata
        {
            CdmVersion = Version,
            Argv = inv.Argv,
            RawName = DaemonName.Printable(inv.RawName),
            SafeName = inv.SafeName,
            Slot = r.Name.Slot,
            CoreMember = r.Name.CoreMember,
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
            Pid = elf.Pid ?? inv.OptionInt("P"),
            Signal = elf.Signal ?? inv.OptionInt("s"),
            Uid = elf.Uid ?? inv.OptionInt("u"),
            Gid = elf.Gid ?? inv.OptionInt("g"),
            ProcessName = elf.ProcessName,
            CommandLine = elf.CommandLine,
            ExecutablePath = elf.ExecutablePath ?? inv.Options.GetValueOrDefault("E")?.Replace('!', '/'),
            FaultAddress = elf.FaultAddress,
            Threads = elf.Threads,
            MappedFiles = elf.MappedFiles,
            SuppressedSinceLast = _suppressedBefore,
            Warnings = [.. inv.Warnings, .. configWarnings, .. _notes],
        };
    }

    private int Done(int slot, string outcome, long bytesIn, long bytesOut, bool failed = false)
    {
        foreach (var n in _notes) log.Info($"{inv.SafeName}: {n}");
        // held_ms: how long the crashed process was kept waiting for cdm to close stdin (with core_pipe_limit > 0)
        string held = _heldMs >= 0 ? $" held_ms={_heldMs}" : "";
        string line = $"capture daemon={inv.SafeName} slot={slot} in={bytesIn} out={bytesOut} ms={_clock.ElapsedMilliseconds}{held} outcome={outcome}";
        if (failed) log.Warn(line); else log.Info(line);
        return failed ? 1 : 0;
    }
}
