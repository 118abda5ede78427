using System.ComponentModel.DataAnnotations;

namespace Bridge.Demo;

/// <summary>Settings of the demo producer (section <c>Bridge:Demo</c>).</summary>
internal sealed class DemoOptions
{
    public const string SectionName = "Bridge:Demo";

    /// <summary>Publish sample RackHD traffic. Default (null): on when the bridge runs embedded, off otherwise.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Time between two steps of the simulation. Default 1 s; from 10 ms to 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Bridge:Demo:Interval must be between 00:00:00.010 and 01:00:00.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}
