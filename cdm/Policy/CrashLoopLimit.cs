using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>Per-daemon crash-loop limit: at most <c>burst</c> captures per <c>interval</c> seconds
/// (a fixed window that starts with the first capture after the previous window ended).</summary>
internal static class CrashLoopLimit
{
    public readonly record struct State(long WindowStart, int Captures, int Suppressed)
    {
        public string Serialize() => string.Create(CultureInfo.InvariantCulture, $"{WindowStart} {Captures} {Suppressed}\n");

        public static State Parse(string? text)
        {
            var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return parts.Length == 3
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long w)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
                && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int s)
                ? new State(w, c, s) : default;
        }
    }

    public readonly record struct Decision(bool Admit, State Next, int SuppressedBefore);

    public static Decision Decide(State state, long now, int burst, int interval)
    {
        if (burst <= 0) return new(true, state with { Suppressed = 0 }, state.Suppressed);
        bool windowOver = now >= state.WindowStart + interval || now < state.WindowStart;
        var current = windowOver ? new State(now, 0, state.Suppressed) : state;
        if (current.Captures < burst)
            return new(true, current with { Captures = current.Captures + 1, Suppressed = 0 }, current.Suppressed);
        return new(false, current with { Suppressed = current.Suppressed + 1 }, 0);
    }
}
