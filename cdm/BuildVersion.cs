using System.Reflection;

namespace CoreDump.Cdm;

/// <summary>The version cdm was built as. Its one source is &lt;Version&gt; in Directory.Build.props, which the SDK
/// stamps into the assembly's AssemblyInformationalVersionAttribute (without a "+commit" suffix:
/// IncludeSourceRevisionInInformationalVersion is off there). Native AOT keeps assembly attributes and reads
/// them without trim warnings.</summary>
internal static class BuildVersion
{
    public static string Current { get; } =
        typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
