namespace CoreDump.Cdm;

/// <summary>The version cdm was built as. Its one source is &lt;Version&gt; in Directory.Build.props; the build
/// writes it into a constant (the GenerateBuildVersion target of cdm.csproj), so no assembly attribute is read
/// by reflection at every crash.</summary>
internal static partial class BuildVersion
{
    public static string Current => GeneratedVersion;
}
