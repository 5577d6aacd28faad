namespace CoreDump.Cdm.Intake;

/// <summary>What a core's ELF headers and notes say, as far as they arrived.</summary>
internal sealed record ElfCoreInfo
{
    public bool IsElf { get; init; }
    public bool IsCore { get; init; }
    /// <summary>The size the core's own headers declare (program headers, segments, section headers); null if unknown.</summary>
    public long? ExpectedSize { get; init; }
    public int? Pid { get; init; }
    public int? Signal { get; init; }
    public int? Uid { get; init; }
    public int? Gid { get; init; }
    public string? ProcessName { get; init; }
    /// <summary>NT_PRPSINFO pr_fname exactly (the thread-group leader's comm); null when no NT_PRPSINFO was read.</summary>
    public byte[]? ProcessNameBytes { get; init; }
    public string? CommandLine { get; init; }
    public string? ExecutablePath { get; init; }
    /// <summary>The executable's path bytes exactly as NT_FILE holds them.</summary>
    public byte[]? ExecutablePathBytes { get; init; }
    public ulong? FaultAddress { get; init; }
    public int? Threads { get; init; }
    public List<string> MappedFiles { get; init; } = [];
}
