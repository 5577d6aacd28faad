using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Cdm.Slots;

/// <summary>When cdm started (Environment.TickCount64): the capture's time cap counts from here, so waiting
/// for the gate is part of the time a crashed process is held.</summary>
internal static class CdmClock
{
    public static readonly long StartedAt = Environment.TickCount64;
    public static long ElapsedMs => Environment.TickCount64 - StartedAt;
}

/// <summary>At most <see cref="Slots"/> captures stream at once. The kernel starts one cdm per crash with no
/// limit of its own (kernel.core_pipe_limit=0, docs/install.md), and a streaming capture holds up to ~35 MB
/// (chunks in flight, the enlarged pipe); a capture beyond the slots waits here, costing only its small
/// process. Slots are flocks on <c>&lt;corepath&gt;/.capture-K.lock</c> (<see cref="PrivateLock"/>: nobody else
/// can hold them). The wait is bounded: after it the capture goes on anyway, so no crash is lost to it.</summary>
internal sealed class CaptureGate : IDisposable
{
    public const int Slots = 16;
    private readonly PrivateLock? _slot;

    private CaptureGate(PrivateLock? slot) => _slot = slot;

    /// <summary>Set when no slot came free in time and the capture went on without one.</summary>
    public string? Note { get; private init; }

    public static CaptureGate Enter(SafeDirectory corepath, TimeSpan maxWait)
    {
        long deadline = Environment.TickCount64 + (long)maxWait.TotalMilliseconds;
        int first = Posix.Getpid() % Slots;
        while (true)
        {
            for (int i = 0; i < Slots; i++)
                if (PrivateLock.Take(corepath.Handle, SlotName((first + i) % Slots), TimeSpan.Zero) is { } slot) return new CaptureGate(slot);
            if (Environment.TickCount64 >= deadline)
                return new CaptureGate(null) { Note = $"all {Slots} capture slots busy for {maxWait.TotalSeconds:0} s; captured without one" };
            Thread.Sleep(20);
        }
    }

    /// <summary>Longest wait for a slot: half the time cap (the other half is left for reading the core),
    /// 30 s when there is no time cap.</summary>
    public static TimeSpan MaxWait(int maxCaptureTime) => TimeSpan.FromSeconds(maxCaptureTime > 0 ? maxCaptureTime / 2.0 : 30);

    /// <summary>A slot's lock file in corepath (a dot name: never taken for a daemon).</summary>
    public static string SlotName(int k) => $".capture-{k}.lock";

    public void Dispose() => _slot?.Dispose();
}
