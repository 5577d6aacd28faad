using System.Globalization;

namespace CoreDump.Uploader.Commands;

/// <summary>Unix times from markers and file names are data from disk: one out of DateTimeOffset's range
/// is shown as its number instead of stopping the command.</summary>
internal static class UnixTime
{
    public static string Format(long seconds, string format) =>
        seconds is >= -62135596800 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToString(format, CultureInfo.InvariantCulture)
            : seconds.ToString(CultureInfo.InvariantCulture);
}
