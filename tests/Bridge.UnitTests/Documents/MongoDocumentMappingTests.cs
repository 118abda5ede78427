using System.Text.Json.Nodes;
using Bridge.Documents;
using Bridge.Documents.Mongo;
using MongoDB.Bson;

namespace Bridge.UnitTests.Documents;

public sealed class MongoDocumentMappingTests
{
    [Fact]
    public void ToStored_ObjectIdHexAndIsoDates_BecomeObjectIdAndBsonDate()
    {
        var stored = MongoDocumentMapping.ToStored(
            JsonNode.Parse("""{"id":"65e18b000100000000000001","at":"2024-03-01T08:00:00.000Z","loose":"2024-03-01T08:00:00Z","n":[{"d":"2024-03-01T08:00:00.500Z"}]}""")!.AsObject(),
            "65e18b000100000000000001");

        Assert.Equal(BsonDocument.Parse("""
            {"_id":ObjectId("65e18b000100000000000001"),"at":ISODate("2024-03-01T08:00:00.000Z"),"loose":"2024-03-01T08:00:00Z","n":[{"d":ISODate("2024-03-01T08:00:00.500Z")}]}
            """), stored);
        Assert.Equal("_id", stored.GetElement(0).Name);
    }

    [Fact]
    public void ToStored_OtherIds_StayStrings()
    {
        var stored = MongoDocumentMapping.ToStored([], "4bd6d3b4-2c3f-4b0e-9d4e-4f1c2d3e4a5b");

        Assert.Equal(new BsonString("4bd6d3b4-2c3f-4b0e-9d4e-4f1c2d3e4a5b"), stored["_id"]);
    }

    [Fact]
    public void ToStored_Numbers_KeepTheirKind()
    {
        var stored = MongoDocumentMapping.ToStored(JsonNode.Parse("""{"small":42,"big":5000000000,"fraction":1.5,"yes":true,"none":null,"nested":[[1,[2]],{}]}""")!.AsObject(), "x");

        Assert.Equal(BsonType.Int32, stored["small"].BsonType);
        Assert.Equal(BsonType.Int64, stored["big"].BsonType);
        Assert.Equal(5_000_000_000L, stored["big"].AsInt64);
        Assert.Equal(1.5, stored["fraction"].AsDouble);
        Assert.True(stored["yes"].AsBoolean);
        Assert.Equal(BsonNull.Value, stored["none"]);
        Assert.Equal(BsonDocument.Parse("""{"a":[[1,[2]],{}]}""")["a"], stored["nested"]);
    }

    [Fact]
    public void FromStored_RenamesIdFirst_AndWritesDatesWithMilliseconds()
    {
        var document = MongoDocumentMapping.FromStored(new BsonDocument
        {
            { "name", "x" },
            { "_id", ObjectId.Parse("65e18b000100000000000001") },
            { "at", new BsonDateTime(new DateTime(2024, 3, 1, 8, 0, 0, DateTimeKind.Utc)) },
            { "old", new BsonDateTime(-1000) },
        });

        Assert.Equal("""{"id":"65e18b000100000000000001","name":"x","at":"2024-03-01T08:00:00.000Z","old":"1969-12-31T23:59:59.000Z"}""", document.ToJsonString());
    }

    [Fact]
    public void FromStored_DecimalsBinaryAndNestedArrays_BecomePlainJson()
    {
        var uuid = Guid.Parse("4bd6d3b4-2c3f-4b0e-9d4e-4f1c2d3e4a5b");
        var document = MongoDocumentMapping.FromStored(new BsonDocument
        {
            { "_id", "s" },
            { "price", new BsonDecimal128(Decimal128.Parse("12345678901234567890.123456789")) },
            { "blob", new BsonBinaryData([1, 2, 3]) },
            { "uuid", new BsonBinaryData(uuid, GuidRepresentation.Standard) },
            { "ref", ObjectId.Parse("65e18b000100000000000002") },
            { "grid", new BsonArray { new BsonArray { 1, 2 }, new BsonArray { new BsonDocument("x", 5_000_000_000L) } } },
            { "ratio", double.NaN },
        });

        Assert.Equal(
            """{"id":"s","price":12345678901234567890.123456789,"blob":"AQID","uuid":"4bd6d3b4-2c3f-4b0e-9d4e-4f1c2d3e4a5b","ref":"65e18b000100000000000002","grid":[[1,2],[{"x":5000000000}]],"ratio":"NaN"}""",
            document.ToJsonString());
    }

    [Fact]
    public void RoundTrip_IsExact()
    {
        var original = JsonNode.Parse("""{"id":"65e18b000100000000000003","name":"n","at":"2024-03-01T08:00:00.123Z","list":[1,"two",{"three":3.25}],"empty":{},"none":[],"nothing":null}""")!.AsObject();

        var back = MongoDocumentMapping.FromStored(MongoDocumentMapping.ToStored(original, "65e18b000100000000000003"));

        Assert.True(JsonNode.DeepEquals(original, back), back.ToJsonString());
    }

    [Fact]
    public void IdSelector_WithObjectIdHex_MatchesBothForms()
    {
        Assert.Equal(BsonDocument.Parse("""{"_id":{"$in":[ObjectId("65e18b000100000000000001"),"65e18b000100000000000001"]}}"""),
            MongoDocumentMapping.IdSelector("65e18b000100000000000001"));
        Assert.Equal(BsonDocument.Parse("""{"_id":"uuid-like"}"""), MongoDocumentMapping.IdSelector("uuid-like"));
    }

    [Fact]
    public void FindOptions_CarryTheFiltersEvaluationBudgetAsMaxTimeMS()
    {
        var budgeted = new FilterLimits { EvaluationBudget = TimeSpan.FromMilliseconds(1500.2) };
        var filtered = FilterParser.ParseQuery(JsonNode.Parse("""{"where":{"name":{"$regex":"^a"}},"limit":5,"skip":2}"""), budgeted);
        var unfiltered = FilterParser.ParseQuery(JsonNode.Parse("""{"limit":5}"""), budgeted);
        var unbudgeted = FilterParser.ParseQuery(JsonNode.Parse("""{"name":"a"}"""), new FilterLimits());

        var options = MongoDocumentMapping.ToFindOptions(filtered);
        Assert.Equal((2, 5, TimeSpan.FromMilliseconds(1501)), (options.Skip, options.Limit, options.MaxTime));
        Assert.Null(MongoDocumentMapping.ToFindOptions(unfiltered).MaxTime);
        Assert.Null(MongoDocumentMapping.ToFindOptions(unbudgeted).MaxTime);
    }

    [Fact]
    public void Sort_MapsIdToUnderscoreId()
    {
        Assert.Equal(BsonDocument.Parse("""{"_id":1,"createdAt":-1}"""),
            MongoDocumentMapping.ToSort([new SortField("id", SortDirection.Ascending), new SortField("createdAt", SortDirection.Descending)]));
    }

    [Theory]
    [InlineData("mongodb://db:27017", "mongodb://db:27017/?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&socketTimeoutMS=5000")]
    [InlineData("mongodb://db/pxe?replicaSet=rs0", "mongodb://db/pxe?replicaSet=rs0&serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&socketTimeoutMS=5000")]
    [InlineData("mongodb://db/?serverSelectionTimeoutMS=900", "mongodb://db/?serverSelectionTimeoutMS=900&connectTimeoutMS=1000&socketTimeoutMS=5000")]
    public void DriverTimeouts_AreAddedUnlessTheUriSetsThem(string uri, string expected) =>
        Assert.Equal(expected, MongoDocumentStore.WithDriverTimeouts(uri, TimeSpan.FromSeconds(2)));
}
