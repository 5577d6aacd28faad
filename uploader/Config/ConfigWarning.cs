namespace CoreDump.Uploader.Config;

internal enum ConfigWarningKind
{
    /// <summary>No configuration file: the embedded defaults apply.</summary>
    MissingFile,
    /// <summary>A key the uploader does not know (a typo, or a key of another version); it is ignored.</summary>
    UnknownKey,
}

/// <summary>Something about the configuration worth saying that does not stop the uploader.</summary>
/// <param name="Key">The key concerned (for a server's key "server[i].name"), or null.</param>
internal sealed record ConfigWarning(ConfigWarningKind Kind, string? Key, string Message)
{
    /// <summary>Every warning is logged; an unknown key is also shown on the terminal, where the admin who
    /// mistyped it is. A missing file is the normal way to run on the defaults.</summary>
    public bool ShownOnTerminal => Kind == ConfigWarningKind.UnknownKey;
}

/// <summary>A configuration that passed every rule, and its warnings.</summary>
internal sealed record LoadedConfig(UploaderConfig Config, IReadOnlyList<ConfigWarning> Warnings);
