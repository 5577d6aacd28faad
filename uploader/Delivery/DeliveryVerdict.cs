using System.Globalization;

namespace CoreDump.Uploader.Delivery;

/// <summary>What one delivery attempt means for the report.</summary>
internal enum DeliveryVerdict { Delivered, Retry, Reject }

internal static class DeliveryRules
{
    /// <summary>2xx = delivered; 408, 429 and 5xx = try again later; any other status = permanent refusal.
    /// (3xx counts as a refusal: redirects are not followed, a crash database URL must be exact.)</summary>
    public static DeliveryVerdict Classify(int status) => status switch
    {
        >= 200 and <= 299 => DeliveryVerdict.Delivered,
        408 or 429 => DeliveryVerdict.Retry,
        >= 500 and <= 599 => DeliveryVerdict.Retry,
        _ => DeliveryVerdict.Reject,
    };

    /// <summary>Combines the verdicts of every server tried for one report (in order, stopping at the first
    /// success): delivered if any delivered; rejected only if every server refused permanently.</summary>
    public static DeliveryVerdict Combine(IReadOnlyList<DeliveryVerdict> perServer) =>
        perServer.Contains(DeliveryVerdict.Delivered) ? DeliveryVerdict.Delivered
        : perServer.Count > 0 && perServer.All(v => v == DeliveryVerdict.Reject) ? DeliveryVerdict.Reject
        : DeliveryVerdict.Retry;

    /// <summary>Retry-After (RFC 9110): delay-seconds or an HTTP date; returns seconds from now, or null.</summary>
    public static long? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long secs)) return secs;
        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return Math.Max(0, (long)Math.Ceiling((at - now).TotalSeconds));
        return null;
    }
}
