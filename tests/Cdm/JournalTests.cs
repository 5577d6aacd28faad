using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CoreDump.Cdm;

namespace CoreDump.Tests.Cdm;

/// <summary>The structured journal record of each capture and drop (docs/journal.md): the pure formatters
/// against injection, and the published cdm sending to datagram sockets the test binds, as journald's native
/// socket and as a syslog socket.</summary>
public class JournalTests
{
    private static readonly byte[] Evil = Encoding.UTF8.GetBytes("x\nMESSAGE_ID=" + CaptureLog.DropMessageId + "\nCDM_ARCHIVE=/etc/shadow\n");

    /// <summary>journald's own reading of a native datagram: a line with '=' is KEY=value, a line without is a
    /// key followed by a 64-bit little-endian length, that many bytes and '\n'.</summary>
    internal static List<(string Key, byte[] Value)> ParseNative(byte[] d)
    {
        var fields = new List<(string, byte[])>();
        int i = 0;
        while (i < d.Length)
        {
            int nl = Array.IndexOf(d, (byte)'\n', i);
            Assert.That(nl, Is.GreaterThanOrEqualTo(0), "every field ends with a newline");
            int eq = Array.IndexOf(d, (byte)'=', i, nl - i);
            if (eq >= 0)
            {
                fields.Add((Encoding.ASCII.GetString(d, i, eq - i), d[(eq + 1)..nl]));
                i = nl + 1;
                continue;
            }
            long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(nl + 1, 8));
            int start = nl + 9;
            Assert.That(start + length, Is.LessThan(d.Length), "a binary field fits the datagram");
            fields.Add((Encoding.ASCII.GetString(d, i, nl - i), d[start..(int)(start + length)]));
            Assert.That(d[start + length], Is.EqualTo((byte)'\n'));
            i = (int)(start + length + 1);
        }
        return fields;
    }

    private static Dictionary<string, string> Unique(List<(string Key, byte[] Value)> fields)
    {
        Assert.That(fields.Select(f => f.Key), Is.Unique, "no field appears twice");
        return fields.ToDictionary(f => f.Key, f => Encoding.UTF8.GetString(f.Value));
    }

    [Test]
    public void Native_form_keeps_hostile_values_inside_their_field()
    {
        byte[] nonUtf8 = [0xff, 0xfe, (byte)'a', 0x00, 0x80, (byte)'='];
        var record = new JournalRecord().Add("MESSAGE", "plain").Add("CDM_DAEMON", Evil).Add("CDM_OUTCOME", "a=b=c").Add("CDM_ARCHIVE", nonUtf8);
        byte[] wire = Journal.FormatNative(record);
        var fields = ParseNative(wire);
        Assert.That(fields.Select(f => f.Key), Is.EqualTo(new[] { "MESSAGE", "CDM_DAEMON", "CDM_OUTCOME", "CDM_ARCHIVE" }),
            "a newline in a value adds no field");
        Assert.That(fields[1].Value, Is.EqualTo(Evil), "the binary-safe form carries the bytes exactly");
        Assert.That(fields[2].Value, Is.EqualTo("a=b=c"u8.ToArray()), "'=' stays in the value");
        Assert.That(fields[3].Value, Is.EqualTo(nonUtf8), "bytes that are not UTF-8 (and NUL) arrive as they are");
        Assert.That(Encoding.ASCII.GetString(wire), Does.StartWith("MESSAGE=plain\nCDM_DAEMON\n"), "plain values use the text form");
    }

    [TestCase("cdm_daemon")]
    [TestCase("_PID")]
    [TestCase("1CDM")]
    [TestCase("CDM=X")]
    [TestCase("CDM\nX")]
    [TestCase("")]
    public void Field_names_that_journald_would_misread_are_refused(string key)
    {
        Assert.That(Journal.IsValidKey(key), Is.False);
        Assert.Throws<ArgumentException>(() => new JournalRecord().Add(key, "v"));
    }

    [Test]
    public void A_long_value_is_cut_so_no_record_is_too_large_to_send()
    {
        var record = new JournalRecord().Add("CDM_OUTCOME", new string('x', 100_000) + "\n");
        var field = ParseNative(Journal.FormatNative(record)).Single();
        Assert.That(field.Value.Length, Is.EqualTo(Journal.MaxValueBytes));
        Assert.That(field.Value[^Journal.CutMark.Length..], Is.EqualTo(Journal.CutMark));
        var big = new JournalRecord();
        for (int i = 0; i < 40; i++) big.Add($"CDM_F{i}", new string('y', 5000));
        Assert.That(Journal.FormatNative(big).Length, Is.LessThan(100_000), "at most MaxFields fields of MaxValueBytes each");
    }

    [Test]
    public void Syslog_line_is_one_escaped_line_with_each_field_once()
    {
        var record = new JournalRecord().Add("MESSAGE", "crash of \"evil\"\n<13>forged: line\\")
            .Add("PRIORITY", "3").Add("SYSLOG_IDENTIFIER", "cdm")
            .Add("CDM_DAEMON", Evil).Add("CDM_OUTCOME", "a\" CDM_ARCHIVE=\"/etc/shadow").Add("CDM_ARCHIVE", [0xff, (byte)'/', 0xc3, 0xa9]);
        string line = Encoding.UTF8.GetString(Journal.FormatSyslog(record, new DateTime(2026, 3, 5, 7, 8, 9), 4242));
        Assert.That(line, Does.StartWith("<27>Mar  5 07:08:09 cdm[4242]: crash of \"evil\"\\x0a<13>forged: line\\\\"), "daemon.err, RFC 3164 header");
        Assert.That(line, Does.Not.Contain("\n").And.Not.Contain("\r"));
        var pairs = Regex.Matches(line, "(?<= )([A-Z_][A-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        Assert.That(pairs.Select(p => p.Item1), Is.EqualTo(new[] { "CDM_DAEMON", "CDM_OUTCOME", "CDM_ARCHIVE" }), line);
        Assert.That(pairs[0].Item2, Is.EqualTo($"x\\x0aMESSAGE_ID={CaptureLog.DropMessageId}\\x0aCDM_ARCHIVE=/etc/shadow\\x0a"));
        Assert.That(pairs[1].Item2, Is.EqualTo("a\\\" CDM_ARCHIVE=\\\"/etc/shadow"));
        Assert.That(pairs[2].Item2, Is.EqualTo("\\xff/é"), "invalid UTF-8 escaped, valid UTF-8 kept");

        var longRecord = new JournalRecord().Add("MESSAGE", new string('é', 2000));
        byte[] cut = Journal.FormatSyslog(longRecord, DateTime.Now, 1);
        Assert.That(cut.Length, Is.LessThanOrEqualTo(Journal.MaxSyslogBytes));
        Assert.DoesNotThrow(() => new UTF8Encoding(false, true).GetString(cut), "cut at a character boundary");
    }

    [Test]
    public void Capture_and_drop_records_have_their_own_id_priority_and_fields()
    {
        var capture = Unique(ParseNative(Journal.FormatNative(CaptureLog.BuildRecord("d", 7, 0, 11, 2, "stored", 12, false, "/var/core/d/d.2.5.core.tar.gz", false, null))));
        Assert.That(capture["MESSAGE_ID"], Is.EqualTo(CaptureLog.CaptureMessageId));
        Assert.That(capture["PRIORITY"], Is.EqualTo("3"));
        Assert.That(capture.ContainsKey("CDM_DROP_REASON"), Is.False);

        var drop = Unique(ParseNative(Journal.FormatNative(CaptureLog.BuildRecord("d", 7, 0, 11, 1, "dropped", -1, false, "/var/core/d/d.1.5.drop.tar.gz", true, "excluded"))));
        Assert.That(drop["MESSAGE_ID"], Is.EqualTo(CaptureLog.DropMessageId));
        Assert.That(drop["CDM_DROP_REASON"], Is.EqualTo("excluded"));
        Assert.That(drop["PRIORITY"], Is.EqualTo("5"), "the administrator asked for it: notice");
        Assert.That(drop.ContainsKey("CDM_HELD_MS"), Is.False, "never held: no value rather than -1");

        var failed = Unique(ParseNative(Journal.FormatNative(CaptureLog.BuildRecord("d", null, null, null, 0, "failed", 3, true, null, false, null))));
        Assert.That(failed["CDM_DROP_REASON"], Is.EqualTo("error"));
        Assert.That(failed["PRIORITY"], Is.EqualTo("3"));
        Assert.That(failed.Keys, Has.None.EqualTo("CDM_PID").And.None.EqualTo("CDM_ARCHIVE"), "unknown values are left out");
        Assert.That(CaptureLog.CaptureMessageId, Does.Match("^[0-9a-f]{32}$").And.Not.EqualTo(CaptureLog.DropMessageId));
    }

    // --- the published cdm, run as the kernel runs it, sending to sockets the test binds ---------------------

    private sealed class Listener : IDisposable
    {
        public readonly string Path;
        public readonly Socket Socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

        public Listener(string path)
        {
            Path = path;
            Socket.Bind(new UnixDomainSocketEndPoint(path));
            Socket.ReceiveTimeout = 15_000;
        }

        public byte[] Receive()
        {
            var buffer = new byte[256 * 1024];
            int n = Socket.Receive(buffer);
            return buffer[..n];
        }

        /// <summary>Everything queued, without waiting.</summary>
        public List<byte[]> Drain()
        {
            var all = new List<byte[]>();
            var buffer = new byte[256 * 1024];
            while (Socket.Available > 0) all.Add(buffer[..Socket.Receive(buffer)]);
            return all;
        }

        public void Dispose() => Socket.Dispose();
    }

    private const string Script =
        "n=\"$(printf \"$4\"; echo x)\"; n=\"${n%x}\"; cfg=\"$1\"; osr=\"$2\"; cdm=\"$3\"; core=\"$5\"; js=\"$6\"; ss=\"$7\"; shift 7; " +
        "cd / && exec env -i CDM_CONFIG=\"$cfg\" CDM_OS_RELEASE=\"$osr\" CDM_JOURNAL_SOCKET=\"$js\" CDM_SYSLOG_SOCKET=\"$ss\" \"$cdm\" \"$n\" \"$@\" <\"$core\" 1>&- 2>&-";

    private static ProcResult Capture(TempRoot root, byte[] name, string core, string journal, string syslog, params string[] args) =>
        Proc.Run("/bin/sh", ["-c", Script, "sh", root.ConfigFile, root.OsRelease, Paths.Cdm, KernelLike.PrintfFormat(name), core, journal, syslog, .. args]);

    [Test]
    public void A_capture_sends_one_record_to_journalds_native_socket()
    {
        var crash = Crashes.Make("segv", "journald");
        using var root = new TempRoot(maxcore: 2);
        using var journal = new Listener(Path.Combine(root.Dir, "journal.sock"));
        var r = Capture(root, "journald"u8.ToArray(), crash.CorePath, journal.Path, Path.Combine(root.Dir, "none"), "1732542001", $"P={crash.Pid}", "s=11", "u=0");
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);

        var f = Unique(ParseNative(journal.Receive()));
        string archive = Path.Combine(root.DaemonDir(crash.Daemon), $"{crash.Daemon}.1.1732542001.core.tar.gz");
        Assert.Multiple(() =>
        {
            Assert.That(f["MESSAGE_ID"], Is.EqualTo(CaptureLog.CaptureMessageId));
            Assert.That(f["PRIORITY"], Is.EqualTo("3"));
            Assert.That(f["SYSLOG_IDENTIFIER"], Is.EqualTo("cdm"));
            Assert.That(f["CDM_DAEMON"], Is.EqualTo(crash.Daemon));
            Assert.That(f["CDM_PID"], Is.EqualTo(crash.Pid.ToString()));
            Assert.That(f["CDM_UID"], Is.EqualTo("0"));
            Assert.That(f["CDM_SIGNAL"], Is.EqualTo("11"));
            Assert.That(f["CDM_SLOT"], Is.EqualTo("1"));
            Assert.That(f["CDM_OUTCOME"], Does.StartWith("stored"));
            Assert.That(long.Parse(f["CDM_HELD_MS"]), Is.GreaterThanOrEqualTo(0));
            Assert.That(f["CDM_ARCHIVE"], Is.EqualTo(archive));
            Assert.That(File.Exists(archive));
            Assert.That(f.ContainsKey("CDM_DROP_REASON"), Is.False);
            Assert.That(f["MESSAGE"], Does.Contain(crash.Daemon).And.Contain(archive));
        });
        Assert.That(journal.Drain(), Is.Empty, "one record per capture");
        Assert.That(root.Log, Does.Contain("outcome=stored"), "the file log stays");
    }

    [Test]
    public void A_drop_sends_a_drop_record_with_its_reason()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        using var journal = new Listener(Path.Combine(root.Dir, "journal.sock"));
        var r = Capture(root, "dropped"u8.ToArray(), crash.CorePath, journal.Path, Path.Combine(root.Dir, "none"), "1732542002", "d=0");
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        var f = Unique(ParseNative(journal.Receive()));
        Assert.That(f["MESSAGE_ID"], Is.EqualTo(CaptureLog.DropMessageId));
        Assert.That(f["CDM_DROP_REASON"], Is.EqualTo("not_dumpable"));
        Assert.That(f["PRIORITY"], Is.EqualTo("5"));
        Assert.That(f["CDM_ARCHIVE"], Does.EndWith(".drop.tar.gz"));
        Assert.That(File.Exists(f["CDM_ARCHIVE"]), "the drop record it names");
    }

    /// <summary>A process name built to forge fields (newlines, MESSAGE_ID=, CDM_ARCHIVE=) on input that is not
    /// a core, so cdm files it under the name the kernel passed.</summary>
    [Test]
    public void A_hostile_process_name_forges_no_field()
    {
        using var root = new TempRoot();
        string input = Path.Combine(root.Dir, "not-a-core");
        File.WriteAllBytes(input, Encoding.ASCII.GetBytes(new string('z', 5000)));
        using var journal = new Listener(Path.Combine(root.Dir, "journal.sock"));
        byte[] name = [.. "ev"u8, .. Evil, 0xff, (byte)'"'];
        Assert.That(Capture(root, name, input, journal.Path, Path.Combine(root.Dir, "none"), "1732542003").ExitCode, Is.EqualTo(0), root.Log);
        var fields = ParseNative(journal.Receive());
        var f = Unique(fields);
        Assert.That(f["MESSAGE_ID"], Is.EqualTo(CaptureLog.CaptureMessageId));
        Assert.That(f["CDM_ARCHIVE"], Does.StartWith(root.CorePath + "/"));
        Assert.That(f.Keys, Is.SubsetOf(new[] { "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "CDM_DAEMON", "CDM_PID", "CDM_UID",
            "CDM_SIGNAL", "CDM_SLOT", "CDM_OUTCOME", "CDM_HELD_MS", "CDM_ARCHIVE", "CDM_DROP_REASON" }));
    }

    [Test]
    public void Without_journald_the_record_goes_to_the_syslog_socket()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        using var syslog = new Listener(Path.Combine(root.Dir, "log.sock"));
        var r = Capture(root, "syslogged"u8.ToArray(), crash.CorePath, Path.Combine(root.Dir, "no-journal.sock"), syslog.Path, "1732542004");
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        string line = Encoding.UTF8.GetString(syslog.Receive());
        Assert.That(line, Does.Match(@"^<27>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d cdm\[\d+\]: crash of "), line);
        Assert.That(line, Does.Contain($"MESSAGE_ID=\"{CaptureLog.CaptureMessageId}\"").And.Contain($"CDM_DAEMON=\"{crash.Daemon}\"").And.Contain("CDM_SLOT=\"1\""));
        Assert.That(line, Does.Not.Contain("\n"));
    }

    /// <summary>journald too slow to read: its queue is full. cdm must not wait for it; the record is dropped and
    /// the file log keeps the line.</summary>
    [Test]
    public void A_full_journal_socket_drops_the_record_and_cdm_does_not_wait()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        using var journal = new Listener(Path.Combine(root.Dir, "journal.sock"));
        using var syslog = new Listener(Path.Combine(root.Dir, "log.sock"));
        using (var filler = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false })
        {
            var to = new UnixDomainSocketEndPoint(journal.Path);
            int sent = 0;
            try { for (; sent < 1_000_000; sent++) filler.SendTo("FILLER=1\n"u8, to); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { }
            Assert.That(sent, Is.LessThan(1_000_000), "the queue filled up");
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var r = Capture(root, "slowjournal"u8.ToArray(), crash.CorePath, journal.Path, syslog.Path, "1732542005");
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1));
        Assert.That(root.Log, Does.Contain("outcome=stored"));
        Assert.That(journal.Drain().Select(Encoding.ASCII.GetString), Has.All.EqualTo("FILLER=1\n"), "the record was dropped, not queued");
        Assert.That(syslog.Drain(), Is.Empty, "a busy journal is not an absent one: no syslog copy either");
    }
}
