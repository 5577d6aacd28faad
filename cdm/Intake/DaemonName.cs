using System.Text;

namespace CoreDump.Cdm.Intake;

/// <summary>Turns the attacker-controlled process name (%e, raw bytes) into exactly one safe path
/// component. The mapping is injective: bytes outside [A-Za-z0-9_+-] (and a dot in first place) are
/// written as %XX, so two different raw names never share a directory.</summary>
internal static class DaemonName
{
    /// <summary>Directory used when the kernel gave no name. No escaped name can look like it:
    /// escaping only ever writes '%' followed by two upper-case hex digits.</summary>
    public const string Placeholder = "%unknown";

    /// <summary>Escaped names longer than this are cut and suffixed with a hash of the raw bytes.</summary>
    public const int MaxLength = 64;

    public static string ToSafe(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty) return Placeholder;
        var sb = new StringBuilder(raw.Length * 3);
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            bool plain = IsPlain(b) || (b == (byte)'.' && i > 0);
            if (plain) sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.Length <= MaxLength ? sb.ToString() : Shorten(sb.ToString(), raw);
    }

    public static string ToSafe(string raw) => ToSafe(Encoding.UTF8.GetBytes(raw));

    /// <summary>Inverse of <see cref="ToSafe(ReadOnlySpan{byte})"/> for names that were not shortened.</summary>
    public static byte[]? FromSafe(string safe)
    {
        if (safe == Placeholder) return [];
        var bytes = new List<byte>(safe.Length);
        for (int i = 0; i < safe.Length; i++)
        {
            char c = safe[i];
            if (c == '%')
            {
                if (i + 2 >= safe.Length) return null;
                if (!byte.TryParse(safe.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b)) return null;
                bytes.Add(b);
                i += 2;
            }
            else if (c == '~') return null;
            else bytes.Add((byte)c);
        }
        return bytes.ToArray();
    }

    /// <summary>Is this directory entry a daemon directory name that cdm can produce (an escaped name, with
    /// the identity suffixes of <see cref="DaemonIdentity"/>)?</summary>
    public static bool LooksSafe(string name) =>
        name.Length > 0 && name.Length <= DaemonIdentity.MaxLength && name[0] != '.' &&
        name.All(c => c < 128 && (IsPlain((byte)c) || c is '.' or '%' or '~' or '@'));

    /// <summary>A printable rendering of raw bytes for logs and metadata (C-style escapes, lossless).</summary>
    public static string Printable(ReadOnlySpan<byte> raw)
    {
        var sb = new StringBuilder(raw.Length + 8);
        foreach (byte b in raw)
        {
            if (b == (byte)'\\') sb.Append("\\\\");
            else if (b is >= 0x20 and < 0x7f) sb.Append((char)b);
            else sb.Append("\\x").Append(b.ToString("x2"));
        }
        return sb.ToString();
    }

    private static bool IsPlain(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
          or (byte)'_' or (byte)'-' or (byte)'+';

    private static string Shorten(string escaped, ReadOnlySpan<byte> raw)
    {
        string hash = Convert.ToHexString(Sha256.Hash(raw), 0, 8).ToLowerInvariant();
        int keep = MaxLength - 17;
        // never cut inside a %XX escape
        int pct = escaped.LastIndexOf('%', keep - 1);
        if (pct >= 0 && pct > keep - 3) keep = pct;
        return escaped[..keep] + "~" + hash;
    }
}
