namespace CoreDump.Cdm.Policy;

/// <summary>A policy refusal that has to stop a step already under way (a disk guard while the core streams):
/// the message is the rule and why, one line for the log. The decisions themselves are pure functions that
/// return the reason as text; this type only carries one out of the stream. Syscall failures are
/// <see cref="CoreDump.Native.PosixException"/>; the uploader's refusals are its user-facing UploaderError.</summary>
internal sealed class RefusedException(string reason) : IOException(reason);
