using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Notifications;

internal static class NotificationTestSupport
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static string Message(string id, string status, string? subType = null, int step = 1) =>
        new JsonObject
        {
            ["type"] = "webhook_tx",
            ["sub_type"] = subType,
            ["id"] = id,
            ["status"] = status,
            ["message"] = $"transaction {id} is {status}",
            ["ts_display"] = 1_700_000_000 + step,
            ["ts_started"] = 1_700_000_000,
            ["on_step"] = step,
            ["total_steps"] = 3,
            ["by"] = "operator@example.com",
        }.ToJsonString();

    public static HttpClient Http(BridgeHost host) => new() { BaseAddress = host.BaseUri, Timeout = Timeout };

    public static async Task<JsonObject> GetPageAsync(HttpClient http, string query)
    {
        using var response = await http.GetAsync(new Uri("/api/notifications" + query, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /api/notifications{query}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Polls the history until <paramref name="done"/> holds for the newest page, or fails naming what it saw.</summary>
    public static Task<JsonObject> WaitForHistoryAsync(HttpClient http, string query, Func<JsonArray, bool> done, string awaiting) =>
        WaitUntil.ValueAsync(() => GetPageAsync(http, query), page => done(page["items"]!.AsArray()),
            page => $"history never showed {awaiting}; last page: {page.ToJsonString()}", Timeout, TimeSpan.FromMilliseconds(50));

    public static async Task<T> WithTimeout<T>(Task<T> task, string what) =>
        await task.WaitAsync(Timeout).ConfigureAwait(false) ?? throw new InvalidOperationException($"{what} returned null");

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, object body) =>
        http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
}
