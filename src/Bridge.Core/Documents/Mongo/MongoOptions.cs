using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Bridge.Documents.Mongo;

/// <summary>Settings under <c>Bridge:Mongo</c>. Setting <see cref="Uri"/> switches the bridge from the embedded store to MongoDB.</summary>
public sealed class MongoOptions
{
    public const string SectionName = "Bridge:Mongo";

    /// <summary>
    /// A MongoDB connection string, e.g. <c>mongodb://localhost:27017/</c>. Unless it sets them itself,
    /// <c>serverSelectionTimeoutMS</c> and <c>connectTimeoutMS</c> (half of <see cref="OperationTimeout"/>, at most 1000) and <c>socketTimeoutMS</c> are added so
    /// the driver gives up in time (its default server selection wait is 30 s).
    /// </summary>
    public string? Uri { get; set; }

    /// <summary>The database holding the collections (RackHD's is <c>pxe</c>).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Bridge:Mongo:Database must not be empty.")]
    [RegularExpression("^[^/\\\\. \"$]{1,63}$", ErrorMessage = "Bridge:Mongo:Database must be a MongoDB database name (no / \\ . space \" $, at most 63 characters).")]
    public string Database { get; set; } = "pxe";

    /// <summary>
    /// The longest one store operation may take before it fails with <c>store_unavailable</c>. 1.5 s, so that a
    /// client hears of an outage within the 2 s the contract promises, replies and scheduling included.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Bridge:Mongo:OperationTimeout must be between {1} and {2}.")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How often a <c>{ping: 1}</c> checks the server, so <c>/readyz</c> tells the truth between requests.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Bridge:Mongo:PingInterval must be between {1} and {2}.")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The share of failed operations (in <see cref="BreakerSamplingDuration"/>) that opens the circuit.</summary>
    [Range(0.01, 1.0, ErrorMessage = "Bridge:Mongo:BreakerFailureRatio must be between {1} and {2}.")]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Operations needed in the sampling window before the circuit may open.</summary>
    [Range(2, 10_000, ErrorMessage = "Bridge:Mongo:BreakerMinimumThroughput must be between {1} and {2}.")]
    public int BreakerMinimumThroughput { get; set; } = 4;

    /// <summary>The window over which failures are counted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00", ErrorMessage = "Bridge:Mongo:BreakerSamplingDuration must be between {1} and {2}.")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open circuit refuses operations at once before letting one through to test the server.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00", ErrorMessage = "Bridge:Mongo:BreakDuration must be between {1} and {2}.")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Insert the host's seed (<see cref="IDocumentSeed"/>: the demo's sample data) into those of its collections that are empty (for demos). Default false.</summary>
    public bool Seed { get; set; }

    /// <summary>
    /// True: every resource backed by a collection follows a MongoDB change stream unless it sets
    /// <c>Bridge:Channels:Resources:&lt;name&gt;:Changes</c> itself. Default false (the broker, as RackHD does).
    /// </summary>
    public bool ChangeStreams { get; set; }
}

/// <summary>What DataAnnotations cannot check: the connection string's scheme and host.</summary>
public sealed partial class MongoOptionsValidator : IValidateOptions<MongoOptions>
{
    public ValidateOptionsResult Validate(string? name, MongoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Uri is { } uri && MongoUri().IsMatch(uri)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Bridge:Mongo:Uri must be a MongoDB connection string with a host, e.g. mongodb://localhost:27017/ (or mongodb+srv://...).");
    }

    [GeneratedRegex("^mongodb(\\+srv)?://[^/?#\\s]+(/[^\\s]*)?$")]
    private static partial Regex MongoUri();
}
