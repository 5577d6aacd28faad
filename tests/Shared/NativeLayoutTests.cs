using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using CoreDump.Native;

namespace CoreDump.Tests.Shared;

/// <summary>The constants, struct sizes and field offsets CoreDump hand-types for libc and for ELF cores are
/// the C compiler's: a C program is generated from the C# declarations (every public constant of
/// <see cref="Posix"/> and <see cref="Elf64"/> by its own name, every offset of an <see cref="Elf64"/> struct
/// by its field name, every field the C# structs read by its C member), compiled with cc against this
/// machine's headers, and its output compared value by value.</summary>
public class NativeLayoutTests
{
    /// <summary>C# struct field → C member, for the structs passed to libc.</summary>
    private static readonly (Type Type, int Size, string C, (string Field, string Member)[] Fields)[] Structs =
    [
        (typeof(Posix.Stat), Marshal.SizeOf<Posix.Stat>(), "struct stat",
        [
            ("Dev", "st_dev"), ("Ino", "st_ino"), ("Nlink", "st_nlink"), ("Mode", "st_mode"), ("Uid", "st_uid"), ("Gid", "st_gid"),
            ("Rdev", "st_rdev"), ("Size", "st_size"), ("BlkSize", "st_blksize"), ("Blocks", "st_blocks"),
            ("Atime", "st_atim.tv_sec"), ("AtimeNsec", "st_atim.tv_nsec"), ("Mtime", "st_mtim.tv_sec"),
            ("MtimeNsec", "st_mtim.tv_nsec"), ("Ctime", "st_ctim.tv_sec"), ("CtimeNsec", "st_ctim.tv_nsec"),
        ]),
        (typeof(Posix.StatVfs), Marshal.SizeOf<Posix.StatVfs>(), "struct statvfs",
        [
            ("BlockSize", "f_bsize"), ("FragmentSize", "f_frsize"), ("Blocks", "f_blocks"), ("BlocksFree", "f_bfree"),
            ("BlocksAvailable", "f_bavail"), ("Files", "f_files"), ("FilesFree", "f_ffree"), ("FilesAvailable", "f_favail"),
            ("FsId", "f_fsid"), ("Flags", "f_flag"), ("NameMax", "f_namemax"),
        ]),
        (typeof(Posix.PollFd), Marshal.SizeOf<Posix.PollFd>(), "struct pollfd", [("Fd", "fd"), ("Events", "events"), ("Revents", "revents")]),
    ];

    /// <summary>Elf64's nested classes → the C struct each describes (NtFile has none: the kernel writes it
    /// field by field).</summary>
    private static readonly (string Name, IEnumerable<FieldInfo> Fields, string C)[] ElfStructs =
    [
        ("Ehdr", Constants(typeof(Elf64.Ehdr)), "Elf64_Ehdr"), ("Phdr", Constants(typeof(Elf64.Phdr)), "Elf64_Phdr"),
        ("Nhdr", Constants(typeof(Elf64.Nhdr)), "Elf64_Nhdr"), ("Prstatus", Constants(typeof(Elf64.Prstatus)), "struct elf_prstatus"),
        ("Prpsinfo", Constants(typeof(Elf64.Prpsinfo)), "struct elf_prpsinfo"), ("Siginfo", Constants(typeof(Elf64.Siginfo)), "siginfo_t"),
        ("Auxv", Constants(typeof(Elf64.Auxv)), "Elf64_auxv_t"),
    ];

    /// <summary>C members whose name differs from the constant's.</summary>
    private static readonly Dictionary<string, string> ElfMembers = new() { ["Auxv.a_val"] = "a_un.a_val" };

    private static readonly (string Name, UnixFileMode Mode, string C)[] Modes =
    [
        ("Mode0400", FileModes.Mode0400, "0400"), ("Mode0505", FileModes.Mode0505, "0505"), ("Mode0600", FileModes.Mode0600, "0600"),
        ("Mode0640", FileModes.Mode0640, "0640"), ("Mode0644", FileModes.Mode0644, "0644"), ("Mode0700", FileModes.Mode0700, "0700"),
        ("Mode0750", FileModes.Mode0750, "0750"), ("Mode0755", FileModes.Mode0755, "0755"),
        ("GroupOrOtherWrite", FileModes.GroupOrOtherWrite, "(S_IWGRP|S_IWOTH)"), ("GroupOrOtherAny", FileModes.GroupOrOtherAny, "(S_IRWXG|S_IRWXO)"),
        ("Umask027", FileModes.Umask027, "027"),
    ];

    private static Dictionary<string, long>? CFacts;

    /// <summary>name → value as the C compiler sees it.</summary>
    private static Dictionary<string, long> C => CFacts ??= CompileAndRun(CProgram(Expected()));

    /// <summary>name → (value in C#, C expression that must equal it).</summary>
    private static List<(string Name, long Value, string CExpr)> Expected()
    {
        var list = new List<(string, long, string)>();
        foreach (var f in Constants(typeof(Posix))) list.Add((f.Name, ToLong(f.GetRawConstantValue()!), f.Name));
        foreach (var f in Constants(typeof(Elf64))) list.Add((f.Name, ToLong(f.GetRawConstantValue()!), f.Name));
        foreach (var (nested, fields, cType) in ElfStructs)
        {
            foreach (var f in fields)
            {
                string key = $"{nested}.{f.Name}";
                long v = ToLong(f.GetRawConstantValue()!);
                string expr = f.Name == "Size" ? $"sizeof({cType})"
                    : f.Name.EndsWith("_size", StringComparison.Ordinal) ? $"sizeof((({cType} *)0)->{f.Name[..^5]})"
                    : $"offsetof({cType}, {ElfMembers.GetValueOrDefault(key, f.Name)})";
                list.Add((key, v, expr));
            }
        }
        foreach (var (type, size, cType, fields) in Structs)
        {
            list.Add(($"sizeof({cType})", size, $"sizeof({cType})"));
            foreach (var (field, member) in fields)
            {
                list.Add(($"offsetof({cType}, {member})", (long)Marshal.OffsetOf(type, field), $"offsetof({cType}, {member})"));
                list.Add(($"sizeof({cType}.{member})", FieldSize(type, field), $"sizeof((({cType} *)0)->{member})"));
            }
        }
        foreach (var (name, mode, c) in Modes) list.Add(($"FileModes.{name}", (long)mode, c));
        return list;
    }

    private static IEnumerable<FieldInfo> Constants([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type t) =>
        t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral);

    /// <summary>Size of a primitive field: where the next field's offset leaves off.</summary>
    private static long FieldSize([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type t, string field)
    {
        var type = t.GetField(field)!.FieldType;
        return type == typeof(long) || type == typeof(ulong) ? 8 : type == typeof(int) || type == typeof(uint) ? 4
            : type == typeof(short) || type == typeof(ushort) ? 2 : throw new ArgumentException($"{t.Name}.{field} is {type}");
    }

    private static long ToLong(object v) => v switch
    {
        int i => i, uint u => u, short s => s, ushort us => us, long l => l, ulong ul => (long)ul, byte b => b,
        _ => throw new ArgumentException($"constant of type {v.GetType()}"),
    };

    private static string CProgram(List<(string Name, long Value, string CExpr)> expected)
    {
        var c = new StringBuilder("""
            #define _GNU_SOURCE
            #include <elf.h>
            #include <errno.h>
            #include <fcntl.h>
            #include <poll.h>
            #include <signal.h>
            #include <stddef.h>
            #include <stdio.h>
            #include <sys/file.h>
            #include <sys/mman.h>
            #include <sys/resource.h>
            #include <sys/socket.h>
            #include <sys/procfs.h>
            #include <sys/stat.h>
            #include <sys/statvfs.h>
            int main(void) {

            """);
        foreach (var (name, _, expr) in expected) c.Append($"  printf(\"%s\\t%lld\\n\", \"{name}\", (long long)({expr}));\n");
        c.Append("  return 0;\n}\n");
        return c.ToString();
    }

    private static Dictionary<string, long> CompileAndRun(string program)
    {
        string dir = Directory.CreateTempSubdirectory("cdm-layout-").FullName;
        try
        {
            string src = Path.Combine(dir, "layout.c"), exe = Path.Combine(dir, "layout");
            File.WriteAllText(src, program);
            var cc = Proc.Run("cc", ["-Wall", "-Werror", "-o", exe, src]);
            Assert.That(cc.ExitCode, Is.EqualTo(0), $"cc failed:\n{cc.Stderr}");
            var run = Proc.Run(exe, []);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.Stderr);
            return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
                .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void TheTargetIsX86_64Linux()
    {
        Assert.That(RuntimeInformation.ProcessArchitecture, Is.EqualTo(Architecture.X64), "Stat and StatVfs are x86-64 layouts");
        Assert.That(OperatingSystem.IsLinux());
    }

    [Test]
    public void EveryConstantSizeAndOffsetIsTheCompilers()
    {
        var expected = Expected();
        var c = C;
        Assert.Multiple(() =>
        {
            foreach (var (name, value, _) in expected)
                Assert.That(value, Is.EqualTo(c[name]), name);
        });
        // the check is not vacuous: the structs and every Elf64 struct contributed
        Assert.That(expected.Select(e => e.Name), Has.Some.EqualTo("offsetof(struct stat, st_blocks)")
            .And.Some.EqualTo("Prpsinfo.pr_fname").And.Some.EqualTo("AT_FDCWD").And.Some.EqualTo("sizeof(struct pollfd)"));
    }

    [Test]
    public void NoPaddingOrTailIsLeftUnaccounted()
    {
        // the C# structs end where the C structs end, so an out parameter cannot be overrun
        Assert.That(Marshal.SizeOf<Posix.Stat>(), Is.EqualTo(C["sizeof(struct stat)"]));
        Assert.That(Marshal.SizeOf<Posix.StatVfs>(), Is.EqualTo(C["sizeof(struct statvfs)"]));
        Assert.That(Marshal.SizeOf<Posix.PollFd>(), Is.EqualTo(C["sizeof(struct pollfd)"]));
    }

    [Test]
    public void PosixExceptionCarriesErrnoCallAndPath()
    {
        using var dir = Posix.OpenDirectoryAt(SafeDirectoryHandle.CurrentDirectory, "/", Posix.O_RDONLY);
        var e = Assert.Throws<PosixException>(() => Posix.OpenAt(dir, "no-such-file-" + Guid.NewGuid().ToString("N"), Posix.O_RDONLY))!;
        Assert.That(e.Errno, Is.EqualTo(Posix.ENOENT));
        Assert.That(e.Call, Is.EqualTo("openat"));
        Assert.That(e.Path, Does.StartWith("no-such-file-"));
        Assert.That(e, Is.InstanceOf<IOException>());
        Assert.That(Posix.TryLStatAt(dir, e.Path!, out _), Is.False, "lstat of a missing name is an answer, not an error");
        Assert.That(Posix.TryLStatAt(dir, "etc", out var st) && st.IsDirectory);
    }
}
