namespace CoreDump.Tests.Stress;

/// <summary>Scale and figures of the attack and fault suite. `./build.sh test` runs it at quick scale;
/// `./build.sh stress` sets STRESS_FULL=1 and collects the figure lines from STRESS_REPORT.</summary>
public static class StressReport
{
    public static bool Full => Environment.GetEnvironmentVariable("STRESS_FULL") == "1";

    public static int Scale(int quick, int full) => Full ? full : quick;

    public static void Figure(string scenario, int tried, int lost, int corrupt, int escaped, string extra = "")
    {
        string line = $"{scenario,-34} tried={tried} lost={lost} corrupt={corrupt} escaped={escaped}{(extra.Length > 0 ? " " + extra : "")}";
        TestContext.Progress.WriteLine("STRESS " + line);
        if (Environment.GetEnvironmentVariable("STRESS_REPORT") is { Length: > 0 } file)
            lock (typeof(StressReport)) File.AppendAllText(file, line + "\n");
    }
}
