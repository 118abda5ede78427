using System.Text.Json.Nodes;
using Bridge.Documents;
using Bridge.Documents.Mongo;
using MongoDB.Bson;

namespace Bridge.UnitTests.Documents;

public sealed class MongoFilterTranslationTests
{
    private static readonly FilterLimits Limits = new();

    private static BsonDocument Query(string filter) =>
        MongoFilterTranslation.ToQuery(FilterParser.ParseFilter(JsonNode.Parse(filter)!.AsObject(), Limits));

    private static void AssertQuery(string expected, string filter) =>
        Assert.Equal(BsonDocument.Parse(expected), Query(filter));

    [Fact]
    public void PlainFields_StayOneDocument() =>
        AssertQuery("""{"name":"x","type":{"$in":["a","b"]},"n":{"$gt":1,"$lte":5}}""", """{"name":"x","type":{"$in":["a","b"]},"n":{"$gt":1,"$lte":5}}""");

    [Fact]
    public void Empty_IsTheEmptyQuery() => Assert.Equal([], MongoFilterTranslation.ToQuery(Filter.Empty));

    [Fact]
    public void IdEquality_WithObjectIdHex_MatchesBothForms()
    {
        AssertQuery("""{"_id":{"$in":[ObjectId("65e18b000100000000000001"),"65e18b000100000000000001"]}}""", """{"id":"65e18b000100000000000001"}""");
        AssertQuery("""{"_id":{"$nin":[ObjectId("65e18b000100000000000001"),"65e18b000100000000000001"]}}""", """{"id":{"$ne":"65e18b000100000000000001"}}""");
        AssertQuery("""{"_id":{"$in":[ObjectId("65e18b000100000000000001"),"65e18b000100000000000001","uuid-like"]}}""", """{"id":{"$in":["65e18b000100000000000001","uuid-like"]}}""");
        AssertQuery("""{"_id":"uuid-like"}""", """{"id":"uuid-like"}""");
    }

    [Fact]
    public void DateStrings_CompareAsDates_ExceptOnIds()
    {
        AssertQuery("""{"createdAt":{"$gte":ISODate("2024-03-01T08:00:00.000Z")}}""", """{"createdAt":{"$gte":"2024-03-01T08:00:00.000Z"}}""");
        AssertQuery("""{"_id":{"$gt":"2024-03-01T08:00:00.000Z"}}""", """{"id":{"$gt":"2024-03-01T08:00:00.000Z"}}""");
    }

    [Fact]
    public void Regex_TravelsAsABsonRegularExpression()
    {
        Assert.Equal(new BsonDocument("name", new BsonRegularExpression("^a", "i")), Query("""{"name":{"$regex":"^a","$options":"i"}}"""));
        Assert.Equal(
            new BsonDocument("$and", new BsonArray { new BsonDocument("name", new BsonRegularExpression("^a", "")), new BsonDocument("name", new BsonDocument("$ne", "b")) }),
            Query("""{"name":{"$regex":"^a","$ne":"b"}}"""));
        Assert.Equal(new BsonDocument("name", new BsonDocument("$not", new BsonRegularExpression("^a", "ms"))), Query("""{"name":{"$not":{"$regex":"^a","$options":"sm"}}}"""));
    }

    [Fact]
    public void Negations_UseMongoDbsOwnOperators()
    {
        AssertQuery("""{"a":{"$ne":1},"b":{"$nin":[1,2]},"c":{"$not":{"$gt":3}}}""", """{"a":{"$ne":1},"b":{"$nin":[1,2]},"c":{"$not":{"$gt":3}}}""");
        AssertQuery("""{"$and":[{"$nor":[{"a":1}]},{"$nor":[{"b":2}]}]}""", """{"$not":{"a":1},"$nor":[{"b":2}]}""");
    }

    [Fact]
    public void ClientFilter_KeepsItsStructure()
    {
        // Field order, the $or's branches and the operators survive; only id and the regular expression change form.
        Assert.Equal(
            new BsonDocument
            {
                { "_id", "abc" },
                { "obms.service", new BsonDocument("$in", new BsonArray { "a", "b" }) },
                { "$or", new BsonArray { new BsonDocument("name", new BsonRegularExpression("^x", "i")), BsonDocument.Parse("""{"cores":{"$not":{"$gt":3}}}""") } },
            },
            Query("""{"id":"abc","obms.service":{"$in":["a","b"]},"$or":[{"name":{"$regex":"^x","$options":"i"}},{"cores":{"$not":{"$gt":3}}}]}"""));
    }

    [Fact]
    public void TopLevelNot_BecomesANorOfOne() => AssertQuery("""{"$nor":[{"b":2}]}""", """{"$not":{"b":2}}""");

    [Fact]
    public void ToQuery_BuildsAFreshDocumentEachCall()
    {
        var filter = FilterParser.ParseFilter(JsonNode.Parse("""{"a":1}"""), Limits);
        MongoFilterTranslation.ToQuery(filter)["a"] = 2;
        Assert.Equal(new BsonDocument("a", 1), MongoFilterTranslation.ToQuery(filter));
    }

    [Fact]
    public void LogicalOperators_KeepTheirShape()
    {
        AssertQuery("""{"$or":[{"type":"pdu"},{"type":"enclosure"}],"_id":{"$ne":"x"}}""", """{"$or":[{"type":"pdu"},{"type":"enclosure"}],"id":{"$ne":"x"}}""");
        AssertQuery("""{"$and":[{"a":1},{"a":{"$exists":true}}]}""", """{"$and":[{"a":1},{"a":{"$exists":true}}]}""");
        AssertQuery("""{"a":{"b":[1,{"c":null}]}}""", """{"a":{"b":[1,{"c":null}]}}""");
    }
}
