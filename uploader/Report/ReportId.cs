using System.Security.Cryptography;
using System.Text;

namespace CoreDump.Uploader.Report;

/// <summary>The report's id, used as the Idempotency-Key and the outbox file name. Derived only from facts
/// of the archive, so a run that was killed and a later run compute the same id.</summary>
internal static class ReportId
{
    public static string Derive(string daemon, int slot, long crashTime, long archiveSize, int? pid) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"cdm-report-v1\n{daemon}\n{slot}\n{crashTime}\n{archiveSize}\n{pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}")))[..32];

    public static bool LooksValid(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigitLower);
}
