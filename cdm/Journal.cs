using System.Globalization;
using System.Text;
using CoreDump.Native;

namespace CoreDump.Cdm;

/// <summary>One structured journal record: fields in order, each value raw bytes (values may come from a
/// crashed process: any byte, newlines included).</summary>
internal sealed class JournalRecord
{
    private readonly List<(string Key, byte[] Value)> _fields = [];

    public IReadOnlyList<(string Key, byte[] Value)> Fields => _fields;

    /// <summary>Adds a field; a null value leaves it out. Keys are ours and must follow journald's rule
    /// (<see cref="Journal.IsValidKey"/>).</summary>
    public JournalRecord Add(string key, string? value) => value is null ? this : Add(key, Encoding.UTF8.GetBytes(value));

    public JournalRecord Add(string key, long? value) => value is long v ? Add(key, v.ToString(CultureInfo.InvariantCulture)) : this;

    public JournalRecord Add(string key, byte[] value)
    {
        if (!Journal.IsValidKey(key)) throw new ArgumentException($"not a journal field name: {key}", nameof(key));
        _fields.Add((key, value));
        return this;
    }

    public byte[]? Value(string key) => _fields.FirstOrDefault(f => f.Key == key).Value;
}

/// <summary>Structured records for journald through its native socket, or, when that socket is absent, one
/// line for the local syslog socket. Sending never waits: a fresh non-blocking datagram socket and
/// MSG_DONTWAIT, so a full or stuck receiver drops the record (the file log keeps the line). The formatting is
/// pure and total: no value, whatever its bytes, can add, end or rename a field.</summary>
internal static class Journal
{
    public const string JournalSocket = "/run/systemd/journal/socket";
    public const string SyslogSocket = "/dev/log";

    /// <summary>A value longer than this is cut (and ends in <see cref="CutMark"/>), which bounds a record to
    /// far less than a datagram may hold: no record is ever too large to send.</summary>
    public const int MaxValueBytes = 2048;
    public const int MaxFields = 32;
    /// <summary>RFC 3164's limit on a syslog packet.</summary>
    public const int MaxSyslogBytes = 1024;
    public static readonly byte[] CutMark = "…"u8.ToArray();

    /// <summary>syslog facility "daemon".</summary>
    public const int FacilityDaemon = 3;

    public enum Outcome { Journal, Syslog, Dropped }

    public readonly record struct Result(Outcome Outcome, string? Problem);

    /// <summary>journald's rule for field names: 1-64 characters of A-Z, 0-9 and '_', not starting with '_'
    /// (those are trusted fields only journald sets) or a digit.</summary>
    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= 64 && key[0] is not ('_' or (>= '0' and <= '9')) &&
        key.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');

    /// <summary>The native protocol: <c>KEY=value\n</c> for a value without control bytes; otherwise the
    /// binary-safe form <c>KEY\n</c>, the value's length as 64-bit little-endian, the value, <c>\n</c>. journald
    /// reads a binary field by its length, so a newline in the value stays inside it; an '=' in a value is
    /// harmless in either form (the first '=' of a line ends the key).</summary>
    public static byte[] FormatNative(JournalRecord record)
    {
        var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var (key, raw) in record.Fields.Take(MaxFields))
        {
            byte[] value = Bounded(raw);
            buffer.Write(Encoding.ASCII.GetBytes(key));
            if (!value.Any(b => b < 0x20 || b == 0x7F))
            {
                buffer.WriteByte((byte)'=');
                buffer.Write(value);
            }
            else
            {
                buffer.WriteByte((byte)'\n');
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)value.Length);
                buffer.Write(length);
                buffer.Write(value);
            }
            buffer.WriteByte((byte)'\n');
        }
        return buffer.ToArray();
    }

    /// <summary>One RFC 3164 line: <c>&lt;PRI&gt;Mmm dd hh:mm:ss IDENT[PID]: MESSAGE [KEY="value" ...]</c>, the
    /// fields other than MESSAGE, PRIORITY and SYSLOG_IDENTIFIER as quoted pairs. Every value is escaped
    /// (<see cref="Escape"/>), so the line is one line of printable text; cut at <see cref="MaxSyslogBytes"/>.</summary>
    public static byte[] FormatSyslog(JournalRecord record, DateTime localTime, int pid)
    {
        int priority = int.TryParse(record.Value("PRIORITY") is { } p ? Encoding.ASCII.GetString(p) : "", NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is >= 0 and <= 7 ? v : 6;
        string ident = record.Value("SYSLOG_IDENTIFIER") is { } i ? Escape(i, quoted: false) : "cdm";
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"<{FacilityDaemon * 8 + priority}>");
        line.Append(localTime.ToString("MMM", CultureInfo.InvariantCulture)).Append(' ');
        line.Append(localTime.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)).Append(' ');
        line.Append(localTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append(' ');
        line.Append(CultureInfo.InvariantCulture, $"{ident}[{pid}]: ");
        if (record.Value("MESSAGE") is { } message) line.Append(Escape(Bounded(message), quoted: false));
        foreach (var (key, value) in record.Fields.Take(MaxFields))
        {
            if (key is "MESSAGE" or "PRIORITY" or "SYSLOG_IDENTIFIER") continue;
            line.Append(' ').Append(key).Append("=\"").Append(Escape(Bounded(value), quoted: true)).Append('"');
        }
        byte[] bytes = Encoding.UTF8.GetBytes(line.ToString());
        if (bytes.Length <= MaxSyslogBytes) return bytes;
        // cut at a character boundary: the escaped line is ASCII plus whole UTF-8 sequences
        int end = MaxSyslogBytes;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) end--;
        return bytes[..end];
    }

    /// <summary>Printable text of any bytes: valid UTF-8 other than control characters is kept; control
    /// characters (C0, DEL, C1) and bytes that are not valid UTF-8 become <c>\xNN</c>, a backslash <c>\\</c>;
    /// when <paramref name="quoted"/>, a double quote <c>\"</c>.</summary>
    public static string Escape(ReadOnlySpan<byte> value, bool quoted)
    {
        var text = new StringBuilder(value.Length);
        int at = 0;
        while (at < value.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(value[at..], out var rune, out int used);
            if (status != System.Buffers.OperationStatus.Done)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{value[at]:x2}");
                at++;
                continue;
            }
            if (Rune.IsControl(rune)) text.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
            else if (rune.Value == '\\') text.Append("\\\\");
            else if (quoted && rune.Value == '"') text.Append("\\\"");
            else text.Append(rune.ToString());
            at += used;
        }
        return text.ToString();
    }

    private static byte[] Bounded(byte[] value) =>
        value.Length <= MaxValueBytes ? value : [.. value.AsSpan(0, MaxValueBytes - CutMark.Length), .. CutMark];

    /// <summary>Sends the record to journald; only when journald's socket is absent (no file, or nobody
    /// listening) to syslog. Never waits, never throws.</summary>
    public static Result Send(JournalRecord record, string journalSocket = JournalSocket, string syslogSocket = SyslogSocket)
    {
        try
        {
            if (Posix.TrySendUnixDatagram(journalSocket, FormatNative(record), out int rc)) return new(Outcome.Journal, null);
            if (!Absent(rc)) return new(Outcome.Dropped, $"journal {journalSocket}: {Posix.Describe(rc)}");
            return Posix.TrySendUnixDatagram(syslogSocket, FormatSyslog(record, DateTime.Now, Environment.ProcessId), out int sys)
                ? new(Outcome.Syslog, null)
                : new(Outcome.Dropped, $"journal {journalSocket}: {Posix.Describe(rc)}; syslog {syslogSocket}: {Posix.Describe(sys)}");
        }
        catch (Exception e) { return new(Outcome.Dropped, e.Message); }
    }

    /// <summary>The socket is not there to take records (as opposed to there but busy: EAGAIN drops).</summary>
    private static bool Absent(int errno) => errno is Posix.ENOENT or Posix.ECONNREFUSED or Posix.ENOTSOCK or Posix.EPROTOTYPE or Posix.ENOTDIR;
}
