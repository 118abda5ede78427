using System.Diagnostics;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Native.Mongo;

namespace Bridge.IntegrationTests.Documents;

/// <summary>The libmongoc binding against the stand-in (or <c>BRIDGE_TEST_MONGO_URI</c>): marshalling, errors, the pool.</summary>
public sealed class MongoBindingTests(MongoStandInFixture fixture) : IClassFixture<MongoStandInFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly MongoClientPool _pool = MongoClientPool.Create(fixture.Server.Uri + (fixture.Server.Uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "serverSelectionTimeoutMS=1500");
    private readonly string _database = MongoStandIn.NewDatabaseName();

    public void Dispose() => _pool.Dispose();

    private Task<T> RunAsync<T>(Func<T> call) => Task.Run(call).WaitAsync(Timeout);

    [Fact]
    public async Task InsertAndFind_RoundTripsEveryBsonTypeRackHdUses()
    {
        const string Document = """
            {"_id":{"$oid":"65e18b00010000000000000a"},"when":{"$date":"2024-03-01T08:00:00.123Z"},"name":"compute-01",
             "int32":42,"int64":{"$numberLong":"5000000000"},"double":1.5,"yes":true,"no":false,"nothing":null,
             "nested":{"list":[1,"two",{"three":3.25}],"empty":{},"none":[]}}
            """;
        await RunAsync(() => _pool.InsertOne(_database, "types", Document));

        var found = await RunAsync(() => _pool.FindAll(_database, "types", "{}"));

        var document = JsonNode.Parse(Assert.Single(found))!.AsObject();
        Assert.Equal("65e18b00010000000000000a", (string?)document["_id"]!["$oid"]);
        Assert.Equal("2024-03-01T08:00:00.123Z", (string?)document["when"]!["$date"]);
        Assert.Equal("compute-01", (string?)document["name"]);
        Assert.Equal(42, (int)document["int32"]!);
        Assert.Equal(5_000_000_000L, (long)document["int64"]!);
        Assert.Equal(1.5, (double)document["double"]!);
        Assert.True((bool)document["yes"]!);
        Assert.False((bool)document["no"]!);
        Assert.True(document.ContainsKey("nothing") && document["nothing"] is null);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"list":[1,"two",{"three":3.25}],"empty":{},"none":[]}"""), document["nested"]),
            document["nested"]!.ToJsonString());
    }

    [Fact]
    public async Task Find_WithFilterSortSkipLimitAndProjection_AppliesEach()
    {
        for (var i = 0; i < 10; i++)
        {
            var n = i;
            await RunAsync(() => _pool.InsertOne(_database, "paging", $$"""{"n":{{n}},"odd":{{(n % 2 == 1 ? "true" : "false")}},"extra":"x"}"""));
        }

        var found = await RunAsync(() => _pool.FindAll(_database, "paging", """{"odd":true}""",
            """{"sort":{"n":-1},"skip":1,"limit":2,"projection":{"n":1,"_id":0}}"""));

        Assert.Equal(["""{ "n" : 7 }""", """{ "n" : 5 }"""], found);
        Assert.Equal(5, await RunAsync(() => _pool.Count(_database, "paging", """{"odd":true}""")));
    }

    [Fact]
    public async Task Cursor_ReadsPastTheFirstBatch()
    {
        for (var i = 0; i < 7; i++)
        {
            var n = i;
            await RunAsync(() => _pool.InsertOne(_database, "batches", $$"""{"n":{{n}}}"""));
        }

        var found = await RunAsync(() => _pool.FindAll(_database, "batches", "{}", """{"batchSize":2,"sort":{"n":1}}"""));

        Assert.Equal(7, found.Count);
    }

    [Fact]
    public async Task ReplaceUpsertAndDelete_ReportTheirCounts()
    {
        var upserted = JsonNode.Parse(await RunAsync(() => _pool.ReplaceOne(_database, "writes", """{"_id":"a"}""", """{"_id":"a","v":1}""", """{"upsert":true}""")))!;
        var replaced = JsonNode.Parse(await RunAsync(() => _pool.ReplaceOne(_database, "writes", """{"_id":"a"}""", """{"_id":"a","v":2}""")))!;
        var updated = JsonNode.Parse(await RunAsync(() => _pool.UpdateOne(_database, "writes", """{"_id":"a"}""", """{"$set":{"w":3}}""")))!;
        var current = JsonNode.Parse(Assert.Single(await RunAsync(() => _pool.FindAll(_database, "writes", """{"_id":"a"}"""))))!;
        await RunAsync(() => _pool.InsertOne(_database, "writes", """{"_id":"b"}"""));
        await RunAsync(() => _pool.InsertOne(_database, "writes", """{"_id":"c"}"""));
        var deletedOne = JsonNode.Parse(await RunAsync(() => _pool.DeleteOne(_database, "writes", """{"_id":"a"}""")))!;
        var deletedMany = JsonNode.Parse(await RunAsync(() => _pool.DeleteMany(_database, "writes", "{}")))!;

        Assert.Equal("a", (string?)upserted["upsertedId"]);
        Assert.Equal(1, (int)replaced["matchedCount"]!);
        Assert.Equal(1, (int)updated["modifiedCount"]!);
        Assert.Equal(2, (int)current["v"]!);
        Assert.Equal(3, (int)current["w"]!);
        Assert.Equal(1, (int)deletedOne["deletedCount"]!);
        Assert.Equal(2, (int)deletedMany["deletedCount"]!);
    }

    [Fact]
    public async Task CreateIndexes_WithTtl_IsListedWithExpireAfterSeconds()
    {
        await RunAsync(() => _pool.CreateIndexes(_database, "expiring", """[{"key":{"at":1},"name":"at_ttl","expireAfterSeconds":60}]"""));

        var indexes = JsonNode.Parse(await RunAsync(() => _pool.RunCommand(_database, """{"listIndexes":"expiring"}""")))!;

        var ttl = indexes["cursor"]!["firstBatch"]!.AsArray().Single(i => (string?)i!["name"] == "at_ttl")!;
        Assert.Equal(60, (int)ttl["expireAfterSeconds"]!);
    }

    [Fact]
    public async Task DuplicateKey_IsAServerErrorWithTheServersCode()
    {
        await RunAsync(() => _pool.InsertOne(_database, "dupes", """{"_id":"same"}"""));

        var error = await Assert.ThrowsAsync<MongoException>(() => RunAsync(() => _pool.InsertOne(_database, "dupes", """{"_id":"same"}""")));

        Assert.Equal(MongoException.ServerDomain, error.Domain);
        Assert.Equal(MongoException.DuplicateKeyCode, error.Code);
        Assert.Contains("duplicate key", error.DriverMessage, StringComparison.OrdinalIgnoreCase);
        Assert.False(error.IsConnectivityError);
    }

    [Fact]
    public async Task UnknownCommand_CarriesDomainCodeAndMessage()
    {
        var error = await Assert.ThrowsAsync<MongoException>(() => RunAsync(() => _pool.RunCommand(_database, """{"noSuchCommand":1}""")));

        Assert.Equal(MongoException.ServerDomain, error.Domain);
        Assert.Equal(59u, error.Code);
        Assert.Contains("noSuchCommand", error.DriverMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidJson_IsRefusedByLibbsonWithItsMessage()
    {
        var error = Assert.Throws<MongoException>(() => _pool.InsertOne(_database, "bad", """{"a":"""));

        Assert.NotEqual(0u, error.Domain);
        Assert.False(string.IsNullOrWhiteSpace(error.DriverMessage));
    }

    [Fact]
    public void InvalidUri_IsRefusedWithTheDriversMessage()
    {
        var error = Assert.Throws<MongoException>(() => MongoClientPool.Create("mongodb://host:notaport/"));

        Assert.False(string.IsNullOrWhiteSpace(error.DriverMessage));
    }

    [Fact]
    public async Task NoServer_FailsWithAConnectivityErrorWithinServerSelectionTimeout()
    {
        using var pool = MongoClientPool.Create("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500&connectTimeoutMS=500");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<MongoException>(() => Task.Run(() => pool.RunCommand("admin", """{"ping":1}""")).WaitAsync(Timeout));

        Assert.True(error.IsConnectivityError, $"domain {error.Domain} code {error.Code}: {error.DriverMessage}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Pool_UnderConcurrency_EveryOperationGetsItsOwnClient()
    {
        var writers = Enumerable.Range(0, 64).Select(i => Task.Run(() =>
        {
            _pool.InsertOne(_database, "concurrent", $$"""{"i":{{i}}}""");
            return _pool.Count(_database, "concurrent", "{}");
        }));

        var counts = await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(counts, c => Assert.InRange(c, 1, 64));
        Assert.Equal(64, await RunAsync(() => _pool.Count(_database, "concurrent", "{}")));
    }

    [Fact]
    public async Task Watch_OnAServerWithoutChangeStreams_ThrowsTheServersError()
    {
        if (!fixture.Server.IsStandIn)
        {
            // A real replica set serves change streams; this test is about the error path.
            using var stream = await RunAsync(() => _pool.Watch(_database, "changes"));
            Assert.False(await RunAsync(() => stream.TryNext(out _)));
            return;
        }

        var error = await Assert.ThrowsAsync<MongoException>(() => RunAsync(() => _pool.Watch(_database, "changes")));

        Assert.Equal(40573u, error.Code);
        Assert.Contains("replica set", error.DriverMessage, StringComparison.Ordinal);
    }
}
