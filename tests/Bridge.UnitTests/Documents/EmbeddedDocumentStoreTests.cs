using System.Text.Json.Nodes;
using Bridge.Demo;
using Bridge.Documents;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.UnitTests.Documents;

public sealed class EmbeddedDocumentStoreTests : IDisposable
{
    private static readonly FilterLimits Limits = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bridge-embedded-" + Guid.NewGuid().ToString("N"));
    private readonly List<EmbeddedDocumentStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private EmbeddedDocumentStore Open(bool seed = true)
    {
        var store = new EmbeddedDocumentStore(new EmbeddedStoreOptions { Seed = seed }, _directory, TimeProvider.System, NullLogger<EmbeddedDocumentStore>.Instance, new DemoSeed());
        _stores.Add(store);
        return store;
    }

    private static DocumentQuery Query(string json) => FilterParser.ParseQuery(JsonNode.Parse(json), Limits);

    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public void Status_IsAlwaysReady()
    {
        var status = Open().Status;
        Assert.True(status.IsReady);
        Assert.Equal("embedded store", status.Description);
    }

    [Fact]
    public async Task Find_SeededNodes_ReturnsAllInNaturalOrderAsync()
    {
        var nodes = await Open().FindAsync("nodes", DocumentQuery.All(), Ct);
        Assert.Equal(SampleData.NodeIds, nodes.Select(n => n["id"]!.GetValue<string>()));
    }

    [Fact]
    public void Seeding_WithoutASeedFromTheHost_StartsEmpty()
    {
        // The core carries no sample data: seeding only loads what the host registers (its demo's IDocumentSeed).
        using var store = new EmbeddedDocumentStore(new EmbeddedStoreOptions { Seed = true }, _directory, TimeProvider.System, NullLogger<EmbeddedDocumentStore>.Instance);

        Assert.Empty(store.CollectionNames);
    }

    [Fact]
    public async Task Find_WithFilterSortSkipAndLimit_AppliesAllInOrderAsync()
    {
        var store = Open();
        var query = Query("""{"where":{"type":"compute","tags":"gold"},"sort":"name DESC","skip":1,"limit":2}""");

        var nodes = await store.FindAsync("nodes", query, Ct);

        Assert.Equal(["compute-03", "compute-02"], nodes.Select(n => n["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Find_SortOnSeveralFields_UsesLaterFieldsForTiesAsync()
    {
        var store = Open(seed: false);
        foreach (var (id, group, rank) in new[] { ("a", 2, 1), ("b", 1, 5), ("c", 2, 3), ("d", 1, 4) })
        {
            await store.InsertAsync("things", new JsonObject { ["id"] = id, ["group"] = group, ["rank"] = rank }, Ct);
        }

        await store.InsertAsync("things", new JsonObject { ["id"] = "e", ["rank"] = 9 }, Ct);

        var sorted = await store.FindAsync("things", Query("""{"sort":{"group":1,"rank":-1}}"""), Ct);

        // A missing sort field sorts first ascending.
        Assert.Equal(["e", "b", "d", "c", "a"], sorted.Select(d => d["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Find_ByNestedPathIntoArray_FindsCatalogsAndNodesAsync()
    {
        var store = Open();
        var nodeId = SampleData.ComputeNodeIds[0];

        var catalogs = await store.FindAsync("catalogs", Query($$"""{"node":"{{nodeId}}"}"""), Ct);
        var ipmiNodes = await store.FindAsync("nodes", Query("""{"obms.service":"ipmi-obm-service"}"""), Ct);

        Assert.Equal(5, catalogs.Count);
        Assert.All(catalogs, c => Assert.Equal(nodeId, c["node"]!.GetValue<string>()));
        Assert.Equal(SampleData.ComputeNodeIds, ipmiNodes.Select(n => n["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Find_UnknownCollection_IsEmptyAsync()
    {
        Assert.Empty(await Open().FindAsync("nothing-here", DocumentQuery.All(), Ct));
        Assert.Equal(0, await Open().CountAsync("nothing-here", Filter.Empty, Ct));
    }

    [Fact]
    public async Task Find_ReturnsCopiesThatCallersCannotUseToChangeTheStoreAsync()
    {
        var store = Open();
        var query = Query($$"""{"id":"{{SampleData.NodeIds[0]}}"}""");
        var first = (await store.FindAsync("nodes", query, Ct))[0];

        first["name"] = "changed";
        first["obms"]!.AsArray()[0]!["config"]!["host"] = "10.0.0.1";
        first["tags"]!.AsArray().Add("mutated");

        var again = (await store.FindAsync("nodes", query, Ct))[0];
        Assert.Equal("compute-01", again["name"]!.GetValue<string>());
        Assert.Equal("172.31.129.11", again["obms"]![0]!["config"]!["host"]!.GetValue<string>());
        Assert.DoesNotContain("mutated", again["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Insert_ThenChangingTheCallersDocument_DoesNotChangeTheStoreAsync()
    {
        var store = Open();
        var document = new JsonObject { ["id"] = "n-1", ["nested"] = new JsonObject { ["v"] = 1 } };
        await store.InsertAsync("notifications", document, Ct);

        document["nested"]!["v"] = 2;

        var stored = (await store.FindAsync("notifications", DocumentQuery.All(), Ct))[0];
        Assert.Equal(1, stored["nested"]!["v"]!.GetValue<int>());
    }

    [Fact]
    public async Task Insert_WithoutId_AssignsA24HexIdAndWritesItIntoTheDocumentAsync()
    {
        var store = Open();
        var document = new JsonObject { ["message"] = "hello" };

        await store.InsertAsync("notifications", document, Ct);

        var id = document["id"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{24}$", id);
        var stored = await store.FindAsync("notifications", Query($$"""{"id":"{{id}}"}"""), Ct);
        Assert.Equal("hello", Assert.Single(stored)["message"]!.GetValue<string>());
        Assert.Equal("id", stored[0].First().Key);
    }

    [Fact]
    public async Task Insert_WithUnderscoreId_ExposesItAsIdAsync()
    {
        var store = Open();
        await store.InsertAsync("things", new JsonObject { ["_id"] = "abc", ["v"] = 1 }, Ct);

        var stored = Assert.Single(await store.FindAsync("things", DocumentQuery.All(), Ct));
        Assert.Equal("abc", stored["id"]!.GetValue<string>());
        Assert.False(stored.ContainsKey("_id"));
    }

    [Fact]
    public async Task Insert_WithTakenId_ThrowsDuplicateAsync()
    {
        var store = Open();
        await store.InsertAsync("things", new JsonObject { ["id"] = "x" }, Ct);

        var error = await Assert.ThrowsAsync<DuplicateDocumentException>(() => store.InsertAsync("things", new JsonObject { ["id"] = "x" }, Ct));
        Assert.Equal("x", error.Id);
    }

    [Fact]
    public async Task Insert_WithNonStringId_IsRejectedAsync()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Open().InsertAsync("things", new JsonObject { ["id"] = 5 }, Ct));
    }

    [Fact]
    public async Task Upsert_ReplacesInPlaceOrInsertsAsync()
    {
        var store = Open();
        var nodeId = SampleData.NodeIds[1];

        await store.UpsertAsync("nodes", nodeId, new JsonObject { ["id"] = "ignored", ["name"] = "renamed", ["type"] = "compute" }, Ct);
        await store.UpsertAsync("nodes", "new-node", new JsonObject { ["name"] = "fresh" }, Ct);

        var nodes = await store.FindAsync("nodes", DocumentQuery.All(), Ct);
        Assert.Equal(SampleData.NodeIds.Count + 1, nodes.Count);
        Assert.Equal($$"""{"id":"{{nodeId}}","name":"renamed","type":"compute"}""", nodes[1].ToJsonString());
        Assert.Equal("""{"id":"new-node","name":"fresh"}""", nodes[^1].ToJsonString());
    }

    [Fact]
    public async Task Delete_RemovesOnlyExistingDocumentsAsync()
    {
        var store = Open();
        var catalogId = SampleData.CatalogIds[0];

        Assert.True(await store.DeleteAsync("catalogs", catalogId, Ct));
        Assert.False(await store.DeleteAsync("catalogs", catalogId, Ct));
        Assert.False(await store.DeleteAsync("no-such-collection", "x", Ct));
        Assert.Equal(0, await store.CountAsync("catalogs", FilterParser.ParseFilter(JsonNode.Parse($$"""{"id":"{{catalogId}}"}"""), Limits), Ct));
    }

    [Fact]
    public async Task Count_AppliesTheFilterAsync()
    {
        var store = Open();
        Assert.Equal(12, await store.CountAsync("nodes", Filter.Empty, Ct));
        Assert.Equal(8, await store.CountAsync("nodes", FilterParser.ParseFilter(JsonNode.Parse("""{"type":"compute"}"""), Limits), Ct));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task InvalidCollectionName_IsRejectedAsync(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Open().InsertAsync(name, [], Ct));
    }

    [Fact]
    public async Task Cancelled_Operations_ThrowAsync()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Open().FindAsync("nodes", DocumentQuery.All(), cts.Token));
    }

    [Fact]
    public async Task Persistence_OtherCollections_SurviveARestartAsync()
    {
        var store = Open();
        await store.InsertAsync("notifications", new JsonObject { ["id"] = "n1", ["text"] = "first" }, Ct);
        await store.InsertAsync("notifications", new JsonObject { ["id"] = "n2", ["text"] = "second" }, Ct);
        await store.InsertAsync("notifications", new JsonObject { ["id"] = "n3", ["text"] = "third" }, Ct);
        await store.UpsertAsync("notifications", "n1", new JsonObject { ["text"] = "first, edited" }, Ct);
        await store.DeleteAsync("notifications", "n2", Ct);
        await store.UpsertAsync("subscriptions", "s1", new JsonObject { ["url"] = "https://example.test/hook" }, Ct);
        store.Dispose();

        var reopened = Open();

        var notifications = await reopened.FindAsync("notifications", DocumentQuery.All(), Ct);
        Assert.Equal(["""{"id":"n1","text":"first, edited"}""", """{"id":"n3","text":"third"}"""], notifications.Select(n => n.ToJsonString()));
        Assert.Equal("https://example.test/hook", (await reopened.FindAsync("subscriptions", DocumentQuery.All(), Ct))[0]["url"]!.GetValue<string>());

        // Replay compacts the log to one insert per live document.
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_directory, "notifications.jsonl")).Length);
    }

    [Fact]
    public async Task Persistence_WritesAfterARestart_AppendToTheCompactedLogAsync()
    {
        var store = Open();
        await store.InsertAsync("notifications", new JsonObject { ["id"] = "n1" }, Ct);
        store.Dispose();
        var second = Open();
        await second.InsertAsync("notifications", new JsonObject { ["id"] = "n2" }, Ct);
        second.Dispose();

        var third = Open();
        Assert.Equal(["n1", "n2"], (await third.FindAsync("notifications", DocumentQuery.All(), Ct)).Select(n => n["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Persistence_TornLastLine_IsIgnoredAsync()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "notifications.jsonl"),
            """
            {"op":"insert","id":"n1","doc":{"id":"n1","text":"kept"}}
            {"op":"upsert","id":"n2","doc":{"id":"n2","text":"kept too"}}
            {"op":"delete","id":"n1"}
            {"op":"insert","id":"n3","doc":{"id":"n3","te
            """);

        var store = Open();

        var notifications = await store.FindAsync("notifications", DocumentQuery.All(), Ct);
        Assert.Equal(["n2"], notifications.Select(n => n["id"]!.GetValue<string>()));
        await store.InsertAsync("notifications", new JsonObject { ["id"] = "n3" }, Ct);
    }

    [Theory]
    [InlineData("""{"where":{"id":"b"}}""", new[] { "b" })]
    [InlineData("""{"where":{"id":{"$eq":"c"}}}""", new[] { "c" })]
    [InlineData("""{"where":{"id":"zz"}}""", new string[0])]
    [InlineData("""{"where":{"id":"b"},"skip":1}""", new string[0])]
    [InlineData("""{"where":{"id":"a"},"sort":{"n":-1},"limit":5}""", new[] { "a" })]
    public async Task Find_ById_AnswersWithThatDocumentAloneAsync(string query, string[] expected)
    {
        var store = Open(seed: false);
        foreach (var (id, n) in new[] { ("a", 1), ("b", 2), ("c", 3) })
        {
            await store.InsertAsync("things", new JsonObject { ["id"] = id, ["n"] = n }, Ct);
        }

        await store.UpsertAsync("things", "c", new JsonObject { ["id"] = "not c", ["n"] = 30 }, Ct);

        var found = await store.FindAsync("things", Query(query), Ct);
        var count = await store.CountAsync("things", Query(query).Filter, Ct);

        Assert.Equal(expected, found.Select(d => d["id"]!.GetValue<string>()));
        Assert.Equal(query.Contains("skip", StringComparison.Ordinal) ? 1 : expected.Length, count);
        if (expected is ["c"])
        {
            Assert.Equal(30, found[0]["n"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Find_ById_InALogWhoseDocumentsCarryOtherIds_GoesByTheDocumentsOwnIdsAsync()
    {
        // A log edited by hand: the record says "a", the document says "b". A filter on id reads the document, as
        // any other filter does, so the id the record is stored under cannot answer it.
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "things.jsonl"),
            """
            {"op":"insert","id":"a","doc":{"id":"b","n":1}}
            {"op":"insert","id":"c","doc":{"id":"c","n":2}}

            """);
        var store = Open(seed: false);

        Assert.Equal([1], (await store.FindAsync("things", Query("""{"where":{"id":"b"}}"""), Ct)).Select(d => d["n"]!.GetValue<int>()));
        Assert.Empty(await store.FindAsync("things", Query("""{"where":{"id":"a"}}"""), Ct));
        Assert.Equal(1, await store.CountAsync("things", Query("""{"where":{"id":"b"}}""").Filter, Ct));
        Assert.Equal([2], (await store.FindAsync("things", Query("""{"where":{"id":"c"}}"""), Ct)).Select(d => d["n"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Persistence_DamagedLineBeforeTheEnd_FailsOpeningWithItsLocationAsync()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "notifications.jsonl"),
            """
            {"op":"insert","id":"n1","doc":{"id":"n1"}}
            garbage
            {"op":"insert","id":"n2","doc":{"id":"n2"}}

            """);

        var error = Assert.Throws<InvalidDataException>(() => Open());
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Persistence_SeededCollections_AreRecreatedNotPersistedAsync()
    {
        var store = Open();
        await store.UpsertAsync("nodes", SampleData.NodeIds[0], new JsonObject { ["name"] = "changed" }, Ct);
        await store.DeleteAsync("catalogs", SampleData.CatalogIds[0], Ct);
        store.Dispose();

        var reopened = Open();

        Assert.False(File.Exists(Path.Combine(_directory, "nodes.jsonl")));
        Assert.False(File.Exists(Path.Combine(_directory, "catalogs.jsonl")));
        var node = (await reopened.FindAsync("nodes", DocumentQuery.All(limit: 1), Ct))[0];
        Assert.Equal("compute-01", node["name"]!.GetValue<string>());
        Assert.Equal(1, await reopened.CountAsync("catalogs", FilterParser.ParseFilter(JsonNode.Parse($$"""{"id":"{{SampleData.CatalogIds[0]}}"}"""), Limits), Ct));
    }

    [Fact]
    public async Task WithoutSeed_NothingIsSeededAndEveryCollectionPersistsAsync()
    {
        var store = Open(seed: false);
        Assert.Empty(await store.FindAsync("nodes", DocumentQuery.All(), Ct));
        await store.UpsertAsync("nodes", "n1", new JsonObject { ["name"] = "mine" }, Ct);
        store.Dispose();

        var reopened = Open(seed: false);
        Assert.Equal("mine", (await reopened.FindAsync("nodes", DocumentQuery.All(), Ct))[0]["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConcurrentReadersAndWriters_SeeConsistentDocumentsAsync()
    {
        var store = Open();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await store.UpsertAsync("things", $"w{w}-{i % 10}", new JsonObject { ["writer"] = w, ["i"] = i, ["payload"] = new JsonArray(i, i + 1) }, cts.Token);
            }
        }, cts.Token));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                foreach (var document in await store.FindAsync("things", Query("""{"payload":{"$gte":0}}"""), cts.Token))
                {
                    var n = document["i"]!.GetValue<int>();
                    Assert.Equal(n + 1, document["payload"]![1]!.GetValue<int>());
                }

                await store.FindAsync("nodes", Query("""{"obms.config.host":{"$regex":"^172"}}"""), cts.Token);
            }
        }, cts.Token));

        await Task.WhenAll(writers.Concat(readers)).WaitAsync(cts.Token);
        Assert.Equal(40, await store.CountAsync("things", Filter.Empty, Ct));
    }

    [Fact]
    public async Task Find_WhenFilterEvaluationOutlastsItsBudget_ThrowsFilterBudgetExceededAsync()
    {
        // Every clock read is 300 ms later: the third document is past a one-second budget.
        var clock = new SteppingTimeProvider(TimeSpan.FromMilliseconds(300));
        var store = new EmbeddedDocumentStore(new EmbeddedStoreOptions { Seed = true }, _directory, clock, NullLogger<EmbeddedDocumentStore>.Instance, new DemoSeed());
        _stores.Add(store);
        var budgeted = Limits with { EvaluationBudget = TimeSpan.FromSeconds(1) };
        var query = FilterParser.ParseQuery(JsonNode.Parse("""{"name":{"$regex":"^no such name$"}}"""), budgeted);

        var find = await Assert.ThrowsAsync<FilterBudgetExceededException>(() => store.FindAsync("nodes", query, Ct));
        var count = await Assert.ThrowsAsync<FilterBudgetExceededException>(() => store.CountAsync("nodes", query.Filter, Ct));

        Assert.Equal(TimeSpan.FromSeconds(1), find.Budget);
        Assert.Contains("longer than its budget of 1000 ms", find.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), count.Budget);
    }

    [Fact]
    public async Task Find_WithinItsBudgetOrWithoutAFilter_IsAnsweredAsync()
    {
        var clock = new SteppingTimeProvider(TimeSpan.FromMilliseconds(300));
        var store = new EmbeddedDocumentStore(new EmbeddedStoreOptions { Seed = true }, _directory, clock, NullLogger<EmbeddedDocumentStore>.Instance, new DemoSeed());
        _stores.Add(store);
        var generous = Limits with { EvaluationBudget = TimeSpan.FromDays(1) };

        var all = await store.FindAsync("nodes", FilterParser.ParseQuery(JsonNode.Parse("{}"), Limits with { EvaluationBudget = TimeSpan.FromMilliseconds(1) }), Ct);
        var some = await store.FindAsync("nodes", FilterParser.ParseQuery(JsonNode.Parse("""{"name":{"$regex":"."}}"""), generous), Ct);

        Assert.NotEmpty(all);
        Assert.Equal(all.Count, some.Count);
    }

    /// <summary>A clock whose every timestamp read is <paramref name="step"/> after the previous one.</summary>
    private sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }

    [Fact]
    public async Task TtlIndex_SweepRemovesDocumentsOlderThanTheirAge()
    {
        var store = Open(seed: false);
        var now = DateTimeOffset.UtcNow;
        await store.InsertAsync("events", new JsonObject { ["id"] = "old", ["storedAt"] = now.AddHours(-2).ToString("O") }, Ct);
        await store.InsertAsync("events", new JsonObject { ["id"] = "new", ["storedAt"] = now.AddMinutes(-1).ToString("O") }, Ct);
        await store.InsertAsync("events", new JsonObject { ["id"] = "undated" }, Ct);

        await store.EnsureIndexAsync("events", new IndexSpec("storedAt_ttl", [new SortField("storedAt", SortDirection.Ascending)], TimeSpan.FromHours(1)), Ct);
        store.SweepExpired();
        var left = await store.FindAsync("events", DocumentQuery.All(), Ct);

        Assert.Equal(["new", "undated"], left.Select(d => d["id"]!.GetValue<string>()));
    }
}
