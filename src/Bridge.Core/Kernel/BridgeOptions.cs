using System.ComponentModel.DataAnnotations;

namespace Bridge.Kernel;

/// <summary>Settings under <c>Bridge</c> that every area shares.</summary>
public sealed class BridgeOptions
{
    public const string SectionName = "Bridge";

    /// <summary>Where the embedded store and the generated signing key live. Relative paths are under the content root (the app's folder).</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The base URI clients reach the bridge at; tokens name it as issuer and accounts under it.</summary>
    [Required, Url]
    public string PublicUrl { get; set; } = "http://localhost:5000";

    /// <summary>
    /// How long a stopping bridge (SIGTERM, Ctrl+C) waits for its work to end: clients get their close frame
    /// (1012) and answer it, hosted services finish in-flight work, then the process exits. It is the host's
    /// <see cref="HostOptions.ShutdownTimeout"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Bridge:ShutdownTimeout must be between {1} and {2}.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
