namespace CoreDump.Tests.Support;

/// <summary>A test fixture with a fresh temporary directory (mode 0700) for each test, removed after it.</summary>
public abstract class TempDirFixture(string prefix)
{
    /// <summary>This test's directory.</summary>
    protected string Dir { get; private set; } = "";

    [SetUp] public void CreateTempDir() => Dir = Directory.CreateTempSubdirectory(prefix).FullName;

    [TearDown] public void RemoveTempDir() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}
