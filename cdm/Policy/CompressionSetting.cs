using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>The <c>compression=</c> setting: the adaptive per-chunk policy (<c>auto</c>, the default: each chunk
/// gets the level its sample earns, see docs/performance.md) or one fixed zlib level for every chunk
/// (0 = stored, 9 = smallest). Incompressible chunks are stored either way.</summary>
internal readonly record struct CompressionSetting
{
    public const int MinLevel = 0, MaxLevel = 9;

    private CompressionSetting(bool auto, int level) => (Auto, Level) = (auto, level);

    /// <summary>The adaptive per-chunk policy picks each chunk's level.</summary>
    public bool Auto { get; }

    /// <summary>The zlib level of every chunk; only meaningful when <see cref="Auto"/> is false.</summary>
    public int Level { get; }

    public static CompressionSetting Adaptive { get; } = new(true, 0);

    public static CompressionSetting Fixed(int level)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, MinLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        return new(false, level);
    }

    /// <summary><c>auto</c> or a level 0-9; null for anything else.</summary>
    public static CompressionSetting? Parse(string text)
    {
        if (text == "auto") return Adaptive;
        return text.Length == 1 && text[0] is >= '0' and <= '9' ? Fixed(text[0] - '0') : null;
    }

    public override string ToString() => Auto ? "auto" : Level.ToString(CultureInfo.InvariantCulture);
}
