
namespace CoreDump.Cdm.Intake;

/// <summary>The beginning of the core stream, read and kept until the core's notes are parsed, so that the
/// crash's identity (and whether to keep it at all) is known before a directory, a rate-limit budget or a
/// slot is touched. The kernel writes the ELF header, the program headers and the PT_NOTE segment first.</summary>
internal sealed class CoreHead
{
    /// <summary>Most bytes read ahead for the notes (a process with thousands of threads or mappings has
    /// notes of a few MiB); beyond it the identity falls back to the arguments.</summary>
    public const int MaxBytes = ElfCoreSniffer.MaxPrefix;

    public required byte[] Bytes { get; init; }
    public required ElfCoreInfo Elf { get; init; }
    /// <summary>The stream ended within the head.</summary>
    public bool Ended { get; init; }
    /// <summary>The read failed (the rest of the stream is not to be trusted either).</summary>
    public string? ReadError { get; init; }

    /// <summary>Did the core's own NT_PRPSINFO arrive (the process name and uid the kernel recorded)?</summary>
    public bool NotesRead => Elf.ProcessNameBytes is not null;

    public static CoreHead Read(Stream input, int maxBytes = MaxBytes)
    {
        var sniffer = new ElfCoreSniffer();
        var buffer = new byte[Math.Min(maxBytes, 16 * 1024)]; // grows by doubling: most heads are a few KiB
        int length = 0;
        bool ended = false;
        string? error = null;
        try
        {
            while (!sniffer.NotesSettled && length < maxBytes)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, Math.Min(maxBytes, buffer.Length * 2));
                int n = input.Read(buffer, length, buffer.Length - length);
                if (n <= 0) { ended = true; break; }
                sniffer.Observe(buffer.AsSpan(length, n));
                length += n;
            }
        }
        catch (IOException e) { error = e.Message; ended = true; }
        sniffer.Complete();
        return new CoreHead { Bytes = buffer[..length], Elf = sniffer.Info, Ended = ended, ReadError = error };
    }
}

/// <summary>The head already read, then the rest of the stream: reads after the head go straight to the
/// underlying stream into the caller's buffer (no second copy of the bulk of the core).</summary>
internal sealed class PrefixedStream(byte[] head, Stream rest) : ReadOnlyStream
{
    private int _headPos;

    /// <summary>Bytes handed out so far (head included).</summary>
    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        int n;
        if (_headPos < head.Length)
        {
            n = Math.Min(buffer.Length, head.Length - _headPos);
            head.AsSpan(_headPos, n).CopyTo(buffer);
            _headPos += n;
        }
        else n = rest.Read(buffer);
        BytesRead += Math.Max(n, 0);
        return n;
    }
}
