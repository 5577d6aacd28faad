using System.Globalization;
using CoreDump.Logging;

namespace CoreDump.Tests.Shared;

/// <summary>cdm writes its log lines without Serilog; they must be the uploader's lines byte for byte, and the
/// file they go to must stay bounded.</summary>
public class FileLogTests() : TempDirFixture("cdm-filelog-")
{
    [TestCase("capture daemon=x slot=1 in=0 out=1337 ms=5 held_ms=1 deflate=isal outcome=stored")]
    [TestCase("braces {Text} {0} and \"quotes\" and 'apostrophes'")]
    [TestCase("two\nlines, a tab\t, a control byte \\x01 and é")]
    [TestCase("")]
    public void CdmsLinesAreTheSerilogLoggersLines(string text)
    {
        string path = Path.Combine(Dir, "x.log");
        using (var log = FileLog.Create(path, "cdm"))
        {
            log.Information("{Text}", text);
            log.Warning("{Text}", text);
        }
        string written = File.ReadAllText(path);
        // the timestamps are the loggers' own: take them from what they wrote
        var stamps = written.Split(Environment.NewLine).Where(l => l.Length >= 29 && l[4] == '-' && l[10] == 'T')
            .Select(l => DateTimeOffset.ParseExact(l[..29], "yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture)).ToList();
        Assert.That(stamps, Has.Count.EqualTo(2));
        string expected = FileLog.Line(stamps[0], false, "cdm", Environment.ProcessId, text)
            + FileLog.Line(stamps[1], true, "cdm", Environment.ProcessId, text);
        Assert.That(written, Is.EqualTo(expected));
    }

    [Test]
    public void TheAppenderRollsAtTheLimitAndKeepsTwoCopies()
    {
        string path = Path.Combine(Dir, "sub", "cdm.log"); // a missing directory is created
        var appender = new LogFileAppender(path);
        var block = new byte[FileLog.MaxBytes / 4];
        Array.Fill(block, (byte)'a');
        for (int i = 0; i < 14; i++)
        {
            block[0] = (byte)('A' + i);
            appender.Append(block);
        }
        // 14 blocks of a quarter of the limit: four per file, the newest two files kept behind the current one
        Assert.That(new FileInfo(path).Length, Is.EqualTo(2 * block.Length));
        Assert.That(new FileInfo(path + ".1").Length, Is.EqualTo(FileLog.MaxBytes));
        Assert.That(new FileInfo(path + ".2").Length, Is.EqualTo(FileLog.MaxBytes));
        Assert.That(File.Exists(path + ".3"), Is.False);
        Assert.That(File.ReadAllBytes(path)[0], Is.EqualTo((byte)'M'));
        Assert.That(File.ReadAllBytes(path + ".2")[0], Is.EqualTo((byte)'E'));
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
    }
}
