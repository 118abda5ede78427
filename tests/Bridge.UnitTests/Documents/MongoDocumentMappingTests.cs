using System.Text.Json.Nodes;
using Bridge.Documents;
using Bridge.Documents.Mongo;

namespace Bridge.UnitTests.Documents;

public sealed class MongoDocumentMappingTests
{
    private static readonly FilterLimits Limits = new();

    private static JsonNode Query(string filter) => JsonNode.Parse(MongoDocumentMapping.ToQuery(FilterParser.ParseFilter(JsonNode.Parse(filter)!.AsObject(), Limits)))!;

    [Fact]
    public void ToStored_ObjectIdHexAndIsoDates_BecomeObjectIdAndBsonDate()
    {
        var stored = JsonNode.Parse(MongoDocumentMapping.ToStored(
            JsonNode.Parse("""{"id":"65e18b000100000000000001","at":"2024-03-01T08:00:00.000Z","loose":"2024-03-01T08:00:00Z","n":[{"d":"2024-03-01T08:00:00.500Z"}]}""")!.AsObject(),
            "65e18b000100000000000001"))!;

        Assert.Equal("""{"_id":{"$oid":"65e18b000100000000000001"},"at":{"$date":"2024-03-01T08:00:00.000Z"},"loose":"2024-03-01T08:00:00Z","n":[{"d":{"$date":"2024-03-01T08:00:00.500Z"}}]}""",
            stored.ToJsonString());
    }

    [Fact]
    public void ToStored_OtherIds_StayStrings()
    {
        var stored = JsonNode.Parse(MongoDocumentMapping.ToStored([], "4bd6d3b4-2c3f-4b0e-9d4e-4f1c2d3e4a5b"))!;

        Assert.Equal("4bd6d3b4-2c3f-4b0e-9d4e-4f1c2d3e4a5b", (string?)stored["_id"]);
    }

    [Fact]
    public void FromStored_RenamesIdFirst_AndWritesDatesWithMilliseconds()
    {
        var document = MongoDocumentMapping.FromStored("""{ "name" : "x", "_id" : { "$oid" : "65e18b000100000000000001" }, "at" : { "$date" : "2024-03-01T08:00:00Z" }, "old" : { "$date" : { "$numberLong" : "-1000" } } }""");

        Assert.Equal("""{"id":"65e18b000100000000000001","name":"x","at":"2024-03-01T08:00:00.000Z","old":"1969-12-31T23:59:59.000Z"}""", document.ToJsonString());
    }

    [Fact]
    public void IdEquality_WithObjectIdHex_MatchesBothForms()
    {
        Assert.Equal("""{"_id":{"$in":[{"$oid":"65e18b000100000000000001"},"65e18b000100000000000001"]}}""",
            Query("""{"id":"65e18b000100000000000001"}""").ToJsonString());
        Assert.Equal("""{"_id":{"$nin":[{"$oid":"65e18b000100000000000001"},"65e18b000100000000000001"]}}""",
            Query("""{"id":{"$ne":"65e18b000100000000000001"}}""").ToJsonString());
        Assert.Equal("""{"_id":{"$in":[{"$oid":"65e18b000100000000000001"},"65e18b000100000000000001","uuid-like"]}}""",
            Query("""{"id":{"$in":["65e18b000100000000000001","uuid-like"]}}""").ToJsonString());
        Assert.Equal("""{"_id":"uuid-like"}""", Query("""{"id":"uuid-like"}""").ToJsonString());
    }

    [Fact]
    public void DateStrings_InFilters_CompareAsDates()
    {
        Assert.Equal("""{"createdAt":{"$gte":{"$date":"2024-03-01T08:00:00.000Z"}}}""",
            Query("""{"createdAt":{"$gte":"2024-03-01T08:00:00.000Z"}}""").ToJsonString());
    }

    [Fact]
    public void Regex_TravelsAsABsonRegularExpression()
    {
        Assert.Equal("""{"name":{"$regularExpression":{"pattern":"^a","options":"i"}}}""",
            Query("""{"name":{"$regex":"^a","$options":"i"}}""").ToJsonString());
        Assert.Equal("""{"$and":[{"name":{"$ne":"b"}},{"name":{"$regularExpression":{"pattern":"^a","options":""}}}]}""",
            Query("""{"name":{"$regex":"^a","$ne":"b"}}""").ToJsonString());
    }

    [Fact]
    public void FindOptions_CarryTheFiltersEvaluationBudgetAsMaxTimeMS()
    {
        var budgeted = new FilterLimits { EvaluationBudget = TimeSpan.FromMilliseconds(1500.2) };
        var filtered = FilterParser.ParseQuery(JsonNode.Parse("""{"where":{"name":{"$regex":"^a"}},"limit":5,"skip":2}"""), budgeted);
        var unfiltered = FilterParser.ParseQuery(JsonNode.Parse("""{"limit":5}"""), budgeted);
        var unbudgeted = FilterParser.ParseQuery(JsonNode.Parse("""{"name":"a"}"""), new FilterLimits());

        Assert.Equal("""{"skip":2,"limit":5,"maxTimeMS":1501}""", MongoDocumentMapping.ToFindOptions(filtered));
        Assert.Equal("""{"limit":5}""", MongoDocumentMapping.ToFindOptions(unfiltered));
        Assert.Equal("{}", MongoDocumentMapping.ToFindOptions(unbudgeted));
    }

    [Fact]
    public void Sort_MapsIdToUnderscoreId()
    {
        Assert.Equal("""{"_id":1,"createdAt":-1}""",
            MongoDocumentMapping.ToSort([new SortField("id", SortDirection.Ascending), new SortField("createdAt", SortDirection.Descending)]));
    }

    [Theory]
    [InlineData("mongodb://db:27017", "mongodb://db:27017/?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&socketTimeoutMS=5000")]
    [InlineData("mongodb://db/pxe?replicaSet=rs0", "mongodb://db/pxe?replicaSet=rs0&serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&socketTimeoutMS=5000")]
    [InlineData("mongodb://db/?serverSelectionTimeoutMS=900", "mongodb://db/?serverSelectionTimeoutMS=900&connectTimeoutMS=1000&socketTimeoutMS=5000")]
    public void DriverTimeouts_AreAddedUnlessTheUriSetsThem(string uri, string expected) =>
        Assert.Equal(expected, MongoDocumentStore.WithDriverTimeouts(uri, TimeSpan.FromSeconds(2)));
}
