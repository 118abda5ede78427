using System.ComponentModel.DataAnnotations;

namespace Bridge.Hosting;

/// <summary>Settings under <c>Bridge</c> that every area shares.</summary>
public sealed class BridgeOptions
{
    public const string SectionName = "Bridge";

    /// <summary>Where the embedded store and the generated signing key live. Relative paths are under the content root.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The base URI clients reach the bridge at; tokens name it as issuer and accounts under it.</summary>
    [Required, Url]
    public string PublicUrl { get; set; } = "http://localhost:5000";
}
