namespace CoreDump.Cdm.Policy;

/// <summary>Free space to keep on the corepath filesystem: a byte count or a percentage of its size.</summary>
internal readonly record struct KeepFree(long Bytes, int Percent)
{
    public long ResolveBytes(long filesystemBytes) => Percent > 0 ? filesystemBytes / 100 * Percent : Bytes;
    public override string ToString() => Percent > 0 ? $"{Percent}%" : SizeValue.Format(Bytes);
}

/// <summary>Settings from /etc/core_file.conf. Every key has a default; see docs/config.md.</summary>
internal sealed record CoreFileConfig
{
    public const string DefaultPath = "/etc/core_file.conf";

    /// <summary>Archives kept per daemon (0 = keep none).</summary>
    public int MaxCore { get; init; } = 1;
    public string CorePath { get; init; } = "/var/core";
    public string LogFile { get; init; } = "/var/log/cdm.log";
    /// <summary>How each chunk of the archive is compressed: the adaptive policy or one fixed zlib level.</summary>
    public CompressionSetting Compression { get; init; } = CompressionSetting.Adaptive;

    // The limits below hold "unlimited" as 0: the file spells it `unlimited` (or 0), and none of them has a
    // useful literal zero (to store no core at all, maxcore=0 or an exclude= line says so).
    /// <summary>Largest core stored; beyond it the core is cut and flagged truncated (0 = no limit).</summary>
    public long MaxCoreSize { get; init; } = 32L << 30;
    /// <summary>Free space that must remain on the corepath filesystem.</summary>
    public KeepFree KeepFree { get; init; } = new(0, 10);
    /// <summary>Cap on the bytes of all archives under corepath (0 = no cap).</summary>
    public long MaxUse { get; init; }
    /// <summary>At most this many captures of one daemon per <see cref="RateInterval"/> seconds (0 = no limit).</summary>
    public int RateBurst { get; init; } = 10;
    public int RateInterval { get; init; } = 60;

    // --- capture caps against starvation (docs/config.md) ---
    /// <summary>Seconds one capture may spend reading its core; then the core is cut there and flagged
    /// truncated, and the crashed process is released (0 = no limit).</summary>
    public int MaxCaptureTime { get; init; } = 60;
    // Exclusion and drop records (docs/config.md): include wins over exclude; an excluded crash leaves a drop record.
    /// <summary><c>exclude=</c> lines: crashes matching one are recorded without their core.</summary>
    public IReadOnlyList<CaptureRule> Exclude { get; init; } = [];
    /// <summary><c>include=</c> lines: a crash matching one is captured even when an exclude line matches.</summary>
    public IReadOnlyList<CaptureRule> Include { get; init; } = [];
    /// <summary>Drop records kept per daemon directory, rotating like maxcore slots (0 = none, only the log line).</summary>
    public int MaxDrop { get; init; } = 4;

    public static CoreFileConfig Defaults { get; } = new();
}
