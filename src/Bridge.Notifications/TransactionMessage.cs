using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Json;

namespace Bridge.Notifications;

/// <summary>
/// The status message of a long-running transaction that producers publish (seed 003, "Send webhook
/// statuses"): <c>{"type":"webhook_tx","sub_type":null|"template","id":..,"status":..,"message":..,
/// "ts_display":0,"ts_started":0,"ts_completed":0,"on_step":1,"total_steps":3,"by":..}</c>.
/// </summary>
internal static class TransactionMessage
{
    public const string Type = "webhook_tx";

    /// <summary>Larger bodies are refused: a status line is small, and every UI receives each one.</summary>
    public const int MaxBytes = 64 * 1024;

    public const int MaxIdLength = 256;

    public static IReadOnlyList<string> Statuses { get; } = ["pending", "error", "success", "undoing"];

    private static readonly string[] TimestampFields = ["ts_display", "ts_started", "ts_completed"];
    private static readonly string[] StepFields = ["on_step", "total_steps"];
    private static readonly string[] TextFields = ["sub_type", "message", "by"];

    /// <summary>Parses and checks a message; fields beyond the seed's are kept as they are.</summary>
    /// <param name="body">The message as published (UTF-8 JSON).</param>
    /// <param name="message">The parsed message when valid.</param>
    /// <param name="error">Why it is not, for the log.</param>
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out JsonObject? message, out string error)
    {
        message = null;
        if (body.Length > MaxBytes)
        {
            error = $"the message is larger than {MaxBytes} bytes";
            return false;
        }

        JsonNode? node;
        try
        {
            node = UntrustedJson.ParseNode(body);
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON: {ex.Message}";
            return false;
        }

        if (node is not JsonObject obj)
        {
            error = "the message must be a JSON object";
            return false;
        }

        if (!TryValidate(obj, out error))
        {
            return false;
        }

        message = obj;
        return true;
    }

    public static bool TryValidate(JsonObject message, out string error)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (StringOf(message, "type") != Type)
        {
            error = $"'type' must be \"{Type}\"";
            return false;
        }

        if (StringOf(message, "id") is not { Length: > 0 and <= MaxIdLength })
        {
            error = $"'id' must be a non-empty string of at most {MaxIdLength} characters";
            return false;
        }

        if (StringOf(message, "status") is not { } status || !Statuses.Contains(status))
        {
            error = $"'status' must be one of {string.Join(", ", Statuses)}";
            return false;
        }

        foreach (var field in TextFields)
        {
            if (message[field] is { } value && !(value is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            {
                error = $"'{field}' must be a string or null";
                return false;
            }
        }

        foreach (var field in TimestampFields.Concat(StepFields))
        {
            if (message[field] is { } value && !IsNonNegativeInteger(value))
            {
                error = $"'{field}' must be a non-negative integer or null";
                return false;
            }
        }

        error = "";
        return true;
    }

    /// <summary>The transaction id of a message that passed <see cref="TryValidate"/>.</summary>
    public static string IdOf(JsonObject message) => StringOf(message, "id") ?? "";

    /// <summary>The status of a message that passed <see cref="TryValidate"/>.</summary>
    public static string StatusOf(JsonObject message) => StringOf(message, "status") ?? "";

    private static string? StringOf(JsonObject message, string field) =>
        message[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool IsNonNegativeInteger(JsonNode value) =>
        value is JsonValue v
        && v.GetValueKind() == JsonValueKind.Number
        && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
        && number >= 0
        && decimal.Truncate(number) == number;
}
