using CoreDump.Native;

namespace CoreDump.Cdm.Intake;

/// <summary>Watches a core stream go by and keeps just the prefix needed to read its headers and notes
/// (bounded), so the facts are known without a second pass or a copy on disk.</summary>
internal sealed class ElfCoreSniffer
{
    /// <summary>Most prefix bytes ever kept (headers plus the note segment).</summary>
    public const int MaxPrefix = 16 << 20;

    private byte[] _prefix = new byte[4096];
    private int _length;
    private long _need = ElfCoreParser.HeaderSize;
    private ElfCoreParser.Layout? _layout;
    private bool _done;

    public ElfCoreInfo Info { get; private set; } = new();

    /// <summary>True once the core's declared size is known, or it is known that it cannot be.</summary>
    public bool LayoutSettled => _done || _layout is not null;

    /// <summary>True once the notes are parsed, or it is known that they cannot be (not an ELF core, notes
    /// beyond <see cref="MaxPrefix"/>, end of stream).</summary>
    public bool NotesSettled => _done;

    public void Observe(ReadOnlySpan<byte> data)
    {
        while (!_done && !data.IsEmpty)
        {
            int take = (int)Math.Min(data.Length, _need - _length);
            if (take > 0)
            {
                Grow(_length + take);
                data[..take].CopyTo(_prefix.AsSpan(_length));
                _length += take;
                data = data[take..];
            }
            if (_length < _need) return;
            Advance();
        }
    }

    /// <summary>Call at end of stream: settles whatever could not be read.</summary>
    public void Complete() => _done = true;

    private void Advance()
    {
        var p = _prefix.AsSpan(0, _length);
        if (_layout is null)
        {
            if (!ElfCoreParser.IsElf64Le(p)) { Info = Info with { IsElf = p.StartsWith(Elf64.ELFMAG) }; _done = true; return; }
            Info = Info with { IsElf = true, IsCore = ElfCoreParser.IsCore(p) };
            long phEnd = ElfCoreParser.ProgramHeadersEnd(p);
            if (phEnd < 0 || phEnd > MaxPrefix) { _done = true; return; }
            if (_length < phEnd) { _need = phEnd; return; }
            _layout = ElfCoreParser.ReadLayout(p);
            if (_layout is not { } l) { _done = true; return; }
            Info = Info with { ExpectedSize = l.ExpectedSize };
            long noteEnd = l.NoteOffset + l.NoteSize;
            if (l.NoteSize == 0 || noteEnd > MaxPrefix) { _done = true; return; }
            _need = noteEnd;
            if (_length < noteEnd) return;
        }
        var layout = _layout.Value;
        Info = ElfCoreParser.ReadNotes(p.Slice((int)layout.NoteOffset, (int)layout.NoteSize), Info);
        _done = true;
        _prefix = [];
    }

    private void Grow(int size)
    {
        if (size <= _prefix.Length) return;
        Array.Resize(ref _prefix, Math.Max(size, Math.Min(MaxPrefix, _prefix.Length * 2)));
    }
}
