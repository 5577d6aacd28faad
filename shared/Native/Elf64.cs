namespace CoreDump.Native;

/// <summary>The ELF64 structures CoreDump reads from cores and executables, little-endian x86-64, by their C
/// names (&lt;elf.h&gt;, &lt;sys/procfs.h&gt;, &lt;signal.h&gt;): each nested class is one struct and holds
/// its size and the byte offsets of the fields read. tests/Shared/NativeLayoutTests.cs checks them with the C
/// compiler's sizeof and offsetof.</summary>
internal static class Elf64
{
    // e_ident
    public const int EI_CLASS = 4, EI_DATA = 5;
    public const byte ELFCLASS64 = 2, ELFDATA2LSB = 1;
    public static ReadOnlySpan<byte> ELFMAG => [0x7f, (byte)'E', (byte)'L', (byte)'F'];
    // e_type, p_type, e_phnum
    public const ushort ET_CORE = 4;
    public const uint PT_LOAD = 1, PT_NOTE = 4;
    public const ushort PN_XNUM = 0xffff;
    // n_type of the notes read (NT_GNU_BUILD_ID is the "GNU" owner's; the others the "CORE"/"LINUX" owners')
    public const uint NT_PRSTATUS = 1, NT_PRPSINFO = 3, NT_AUXV = 6, NT_SIGINFO = 0x53494749, NT_FILE = 0x46494c45;
    public const uint NT_GNU_BUILD_ID = 3;
    // a_type of the auxiliary vector entries read
    public const ulong AT_PHDR = 3, AT_ENTRY = 9;

    /// <summary>Elf64_Ehdr, the file header.</summary>
    public static class Ehdr
    {
        public const int Size = 64;
        public const int e_type = 16, e_phoff = 32, e_shoff = 40, e_phentsize = 54, e_phnum = 56, e_shentsize = 58, e_shnum = 60;
    }

    /// <summary>Elf64_Phdr, one program header.</summary>
    public static class Phdr
    {
        public const int Size = 56;
        public const int p_type = 0, p_offset = 8, p_vaddr = 16, p_filesz = 32, p_memsz = 40;
    }

    /// <summary>Elf64_Nhdr, a note's header (its name and descriptor follow, each padded to 4 bytes).</summary>
    public static class Nhdr
    {
        public const int Size = 12;
        public const int n_namesz = 0, n_descsz = 4, n_type = 8;
    }

    /// <summary>struct elf_prstatus (NT_PRSTATUS), one per thread.</summary>
    public static class Prstatus
    {
        public const int pr_cursig = 12, pr_pid = 32;
    }

    /// <summary>struct elf_prpsinfo (NT_PRPSINFO).</summary>
    public static class Prpsinfo
    {
        public const int Size = 136;
        public const int pr_uid = 16, pr_gid = 20, pr_pid = 24, pr_fname = 40, pr_psargs = 56;
        /// <summary>ELF_PRARGSZ is 80; pr_fname is 16 bytes (the kernel's TASK_COMM_LEN).</summary>
        public const int pr_fname_size = 16, pr_psargs_size = 80;
    }

    /// <summary>siginfo_t (NT_SIGINFO) for a fault: si_addr is where it happened.</summary>
    public static class Siginfo
    {
        public const int si_signo = 0, si_addr = 16;
    }

    /// <summary>Elf64_auxv_t (NT_AUXV is an array of them).</summary>
    public static class Auxv
    {
        public const int Size = 16;
        public const int a_type = 0, a_val = 8;
    }

    /// <summary>NT_FILE's descriptor (the kernel's fill_files_note): a count and the page size, then count
    /// entries of {start, end, file_ofs}, then count NUL-terminated names. No C struct declares it.</summary>
    public static class NtFile
    {
        public const int count = 0, page_size = 8, Entries = 16;
        public const int EntrySize = 24, start = 0, end = 8, file_ofs = 16;
    }
}
