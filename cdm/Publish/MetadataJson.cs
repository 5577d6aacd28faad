using System.Buffers;
using System.Text.Json;
using CoreDump.Metadata;

namespace CoreDump.Cdm.Publish;

/// <summary>metadata.json as cdm writes it: byte for byte what <see cref="MetadataJsonContext"/> (the generated
/// context the uploader and the tests read it with) writes — snake_case names in declaration order, nulls left
/// out, indented — but written straight with <see cref="Utf8JsonWriter"/>. The serializer's start-up (type
/// metadata, converters, the attribute scan for polymorphism) cost every capture ~2 ms and a third of cdm's
/// binary; this costs neither. A test holds the two writers to the same output for every property, so a
/// property added to <see cref="CaptureMetadata"/> and not here fails it.</summary>
internal static class MetadataJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    public static byte[] Serialize(CaptureMetadata m)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteNumber("format_version", m.FormatVersion);
            w.WriteString("cdm_version", m.CdmVersion);
            Strings(w, "argv", m.Argv);
            w.WriteString("raw_name", m.RawName);
            w.WriteString("safe_name", m.SafeName);
            w.WriteString("daemon_dir", m.DaemonDir);
            w.WriteBoolean("identity_verified", m.IdentityVerified);
            w.WriteNumber("slot", m.Slot);
            String(w, "core_member", m.CoreMember);
            String(w, "drop_reason", m.DropReason);
            String(w, "drop_detail", m.DropDetail);
            w.WriteNumber("crash_time", m.CrashTime);
            w.WriteBoolean("crash_time_from_args", m.CrashTimeFromArgs);
            w.WriteString("capture_started", m.CaptureStarted);
            w.WriteString("capture_finished", m.CaptureFinished);
            w.WriteStartObject("options");
            foreach (var (key, value) in m.Options) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteString("kernel_release", m.KernelRelease);
            w.WriteString("hostname", m.Hostname);
            w.WriteNumber("core_bytes_received", m.CoreBytesReceived);
            w.WriteNumber("core_bytes_stored", m.CoreBytesStored);
            Number(w, "core_bytes_expected", m.CoreBytesExpected);
            w.WriteBoolean("truncated", m.Truncated);
            String(w, "truncated_reason", m.TruncatedReason);
            w.WriteBoolean("is_elf_core", m.IsElfCore);
            Number(w, "pid", m.Pid);
            Number(w, "namespace_pid", m.NamespacePid);
            w.WriteBoolean("foreign_namespace", m.ForeignNamespace);
            String(w, "cgroup", m.Cgroup);
            Number(w, "dumpable", m.Dumpable);
            Number(w, "signal", m.Signal);
            Number(w, "uid", m.Uid);
            Number(w, "gid", m.Gid);
            String(w, "process_name", m.ProcessName);
            String(w, "command_line", m.CommandLine);
            String(w, "executable_path", m.ExecutablePath);
            if (m.FaultAddress is { } fault) w.WriteNumber("fault_address", fault);
            Number(w, "threads", m.Threads);
            Strings(w, "mapped_files", m.MappedFiles);
            String(w, "executable_build_id", m.ExecutableBuildId);
            if (m.Modules is { } modules)
            {
                w.WriteStartArray("modules");
                foreach (var module in modules)
                {
                    w.WriteStartObject();
                    w.WriteString("path", module.Path);
                    w.WriteNumber("start", module.Start);
                    String(w, "build_id", module.BuildId);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteNumber("suppressed_since_last", m.SuppressedSinceLast);
            Strings(w, "warnings", m.Warnings);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void String(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    private static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    private static void Strings(Utf8JsonWriter w, string name, List<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values) w.WriteStringValue(value);
        w.WriteEndArray();
    }
}
