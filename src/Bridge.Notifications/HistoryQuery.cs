using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Kernel;

namespace Bridge.Notifications;

/// <summary>A request for one page of the history, newest first.</summary>
/// <param name="Limit">Page size.</param>
/// <param name="Before">Start after this position (the <c>next</c> of the previous page); null for the newest.</param>
/// <param name="TransactionId">Only this transaction's messages.</param>
/// <param name="Statuses">Only these statuses (any of them).</param>
/// <param name="Since">Stored at or after this time.</param>
/// <param name="Until">Stored before this time.</param>
internal sealed record HistoryQuery(
    int Limit,
    HistoryCursor? Before = null,
    string? TransactionId = null,
    IReadOnlyList<string>? Statuses = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null)
{
    /// <summary>
    /// Reads the parameters the HTTP API and the channel share: <c>limit</c>, <c>before</c>, <c>id</c>,
    /// <c>status</c> (one, or several separated by commas), <c>since</c>, <c>until</c> (ISO-8601).
    /// </summary>
    /// <param name="read">Returns a parameter's text, or null when absent.</param>
    /// <param name="defaultLimit">Page size when none is named.</param>
    /// <param name="maxLimit">Larger limits are lowered to this.</param>
    /// <param name="query">The query when valid.</param>
    /// <param name="error">Why not, for the client.</param>
    public static bool TryParse(Func<string, string?> read, int defaultLimit, int maxLimit, [NotNullWhen(true)] out HistoryQuery? query, out string error)
    {
        ArgumentNullException.ThrowIfNull(read);
        query = null;
        var limit = defaultLimit;
        if (read("limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1)
            {
                error = "'limit' must be a positive integer";
                return false;
            }

            limit = Math.Min(limit, maxLimit);
        }

        HistoryCursor? before = null;
        if (read("before") is { } beforeText && !HistoryCursor.TryDecode(beforeText, out before))
        {
            error = "'before' is not a cursor this bridge issued (use the 'next' of a previous page)";
            return false;
        }

        var id = read("id");
        if (id is { Length: 0 or > TransactionMessage.MaxIdLength })
        {
            error = $"'id' must be a transaction id of 1 to {TransactionMessage.MaxIdLength} characters";
            return false;
        }

        List<string>? statuses = null;
        if (read("status") is { } statusText)
        {
            statuses = [.. statusText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];
            if (statuses.Count == 0 || statuses.Any(s => !TransactionMessage.Statuses.Contains(s)))
            {
                error = $"'status' must be one or more of {string.Join(", ", TransactionMessage.Statuses)}, separated by commas";
                return false;
            }
        }

        if (!TryReadTime(read, "since", out var since, out error) || !TryReadTime(read, "until", out var until, out error))
        {
            return false;
        }

        query = new HistoryQuery(limit, before, id, statuses, since, until);
        error = "";
        return true;
    }

    /// <summary>Adapts channel <c>params</c> (strings or numbers; <c>status</c> may also be an array) to <see cref="TryParse"/>.</summary>
    public static Func<string, string?> FromJson(JsonObject? parameters) => name =>
        parameters?[name] switch
        {
            null => null,
            JsonArray array => string.Join(',', array.Select(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "?")),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.ToJsonString(),
            _ => "",
        };

    private static bool TryReadTime(Func<string, string?> read, string name, out DateTimeOffset? time, out string error)
    {
        time = null;
        error = "";
        if (read(name) is not { } text)
        {
            return true;
        }

        if (!IsoTime.TryParse(text, out var parsed))
        {
            error = $"'{name}' must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z";
            return false;
        }

        time = parsed;
        return true;
    }
}
