using System.Diagnostics;
using System.Text.Json.Nodes;
using Bridge.Documents;
using Bridge.Documents.Mongo;
using MongoDB.Bson;

namespace Bridge.UnitTests.Documents;

public sealed class FilterTests
{
    private static readonly FilterLimits Limits = new();

    private static readonly JsonObject Node = Parse("""
        {
          "id": "5f1a00000000000000000001",
          "name": "compute-01",
          "type": "compute",
          "autoDiscover": false,
          "cores": 16,
          "memoryGb": 128.5,
          "identifiers": ["52:54:be:ef:00:01", "52:54:be:ef:00:02"],
          "tags": ["rack-1", "gold"],
          "obms": [
            { "service": "ipmi-obm-service", "config": { "host": "10.1.0.1", "user": "admin" } },
            { "service": "redfish-obm-service", "config": { "host": "10.1.0.2" } }
          ],
          "matrix": [[1, 2], [3, 4]],
          "location": { "rack": "r1", "slot": 3 },
          "sku": null,
          "createdAt": "2024-03-01T10:00:00.000Z"
        }
        """);

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static bool Matches(string filter) => FilterParser.ParseFilter(JsonNode.Parse(filter), Limits).Matches(Node);

    private static InvalidFilterException Refused(string filter) =>
        Assert.Throws<InvalidFilterException>(() => FilterParser.ParseFilter(JsonNode.Parse(filter), Limits));

    [Theory]
    [InlineData("""{"name":"compute-01"}""", true)]
    [InlineData("""{"name":"compute-02"}""", false)]
    [InlineData("""{"name":"COMPUTE-01"}""", false)]
    [InlineData("""{"cores":16}""", true)]
    [InlineData("""{"cores":16.0}""", true)]
    [InlineData("""{"memoryGb":128.5}""", true)]
    [InlineData("""{"autoDiscover":false}""", true)]
    [InlineData("""{"autoDiscover":0}""", false)]
    [InlineData("""{"name":"compute-01","type":"compute"}""", true)]
    [InlineData("""{"name":"compute-01","type":"switch"}""", false)]
    public void Equality_OnScalars_ComparesByValueAndType(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"tags":"gold"}""", true)]
    [InlineData("""{"tags":"silver"}""", false)]
    [InlineData("""{"tags":["rack-1","gold"]}""", true)]
    [InlineData("""{"tags":["gold","rack-1"]}""", false)]
    [InlineData("""{"tags":["gold"]}""", false)]
    [InlineData("""{"matrix":[1,2]}""", true)]
    [InlineData("""{"matrix":1}""", false)]
    public void Equality_OnArrayField_MatchesWholeArrayOrAnElement(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"location":{"rack":"r1","slot":3}}""", true)]
    [InlineData("""{"location":{"slot":3,"rack":"r1"}}""", false)]
    [InlineData("""{"location":{"rack":"r1"}}""", false)]
    [InlineData("""{"obms":{"service":"redfish-obm-service","config":{"host":"10.1.0.2"}}}""", true)]
    public void Equality_OnObjects_IsExactAndOrderedAsInBson(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"location.rack":"r1"}""", true)]
    [InlineData("""{"location.slot":{"$gte":3}}""", true)]
    [InlineData("""{"obms.service":"redfish-obm-service"}""", true)]
    [InlineData("""{"obms.config.host":"10.1.0.1"}""", true)]
    [InlineData("""{"obms.config.host":"10.9.9.9"}""", false)]
    [InlineData("""{"obms.config.user":{"$exists":true}}""", true)]
    [InlineData("""{"obms.1.service":"redfish-obm-service"}""", true)]
    [InlineData("""{"obms.0.service":"redfish-obm-service"}""", false)]
    [InlineData("""{"identifiers.1":"52:54:be:ef:00:02"}""", true)]
    [InlineData("""{"location.rack.deeper":"r1"}""", false)]
    public void DottedPath_TraversesObjectsAndArraysOfObjects(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"missing":null}""", true)]
    [InlineData("""{"sku":null}""", true)]
    [InlineData("""{"name":null}""", false)]
    [InlineData("""{"obms.config.user":null}""", true)]
    [InlineData("""{"missing":{"$exists":false}}""", true)]
    [InlineData("""{"sku":{"$exists":true}}""", true)]
    [InlineData("""{"sku":{"$exists":0}}""", false)]
    [InlineData("""{"missing":{"$ne":null}}""", false)]
    [InlineData("""{"name":{"$ne":null}}""", true)]
    public void NullAndExists_FollowMongoSemantics(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"cores":{"$eq":16}}""", true)]
    [InlineData("""{"cores":{"$ne":16}}""", false)]
    [InlineData("""{"cores":{"$gt":15.5}}""", true)]
    [InlineData("""{"cores":{"$gt":16}}""", false)]
    [InlineData("""{"cores":{"$gte":16}}""", true)]
    [InlineData("""{"cores":{"$lt":16}}""", false)]
    [InlineData("""{"cores":{"$lte":16}}""", true)]
    [InlineData("""{"cores":{"$gt":10,"$lt":20}}""", true)]
    [InlineData("""{"cores":{"$gt":10,"$lt":12}}""", false)]
    [InlineData("""{"cores":{"$gt":"10"}}""", false)]
    [InlineData("""{"name":{"$gt":"compute-00"}}""", true)]
    [InlineData("""{"name":{"$lt":"Compute"}}""", false)]
    [InlineData("""{"createdAt":{"$gte":"2024-03-01T00:00:00.000Z"}}""", true)]
    [InlineData("""{"createdAt":{"$lt":"2024-02-28"}}""", false)]
    [InlineData("""{"tags":{"$gt":"h"}}""", true)]
    [InlineData("""{"tags":{"$ne":"gold"}}""", false)]
    [InlineData("""{"tags":{"$ne":"silver"}}""", true)]
    public void Comparisons_WorkAcrossNumberTypesAndOrdinalStrings(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"type":{"$in":["switch","compute"]}}""", true)]
    [InlineData("""{"type":{"$in":["switch","pdu"]}}""", false)]
    [InlineData("""{"type":{"$in":[]}}""", false)]
    [InlineData("""{"tags":{"$in":["silver","gold"]}}""", true)]
    [InlineData("""{"missing":{"$in":[null]}}""", true)]
    [InlineData("""{"type":{"$nin":["switch","pdu"]}}""", true)]
    [InlineData("""{"tags":{"$nin":["gold"]}}""", false)]
    [InlineData("""{"cores":{"$in":[16.0]}}""", true)]
    public void InAndNin_TestMembership(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"name":{"$regex":"^compute-0\\d$"}}""", true)]
    [InlineData("""{"name":{"$regex":"^COMPUTE"}}""", false)]
    [InlineData("""{"name":{"$regex":"^COMPUTE","$options":"i"}}""", true)]
    [InlineData("""{"name":{"$options":"i","$regex":"^COMPUTE"}}""", true)]
    [InlineData("""{"name":{"$regex":"^ compute - 01 $","$options":"x"}}""", true)]
    [InlineData("""{"tags":{"$regex":"^go"}}""", true)]
    [InlineData("""{"cores":{"$regex":"16"}}""", false)]
    [InlineData("""{"obms.service":{"$regex":"redfish"}}""", true)]
    public void Regex_MatchesStringsAndArrayElements(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Fact]
    public void Regex_OptionsMAndS_ChangeLineSemantics()
    {
        var doc = Parse("""{"text":"first\nsecond"}""");
        Assert.False(FilterParser.ParseFilter(JsonNode.Parse("""{"text":{"$regex":"^second"}}"""), Limits).Matches(doc));
        Assert.True(FilterParser.ParseFilter(JsonNode.Parse("""{"text":{"$regex":"^second","$options":"m"}}"""), Limits).Matches(doc));
        Assert.False(FilterParser.ParseFilter(JsonNode.Parse("""{"text":{"$regex":"first.second"}}"""), Limits).Matches(doc));
        Assert.True(FilterParser.ParseFilter(JsonNode.Parse("""{"text":{"$regex":"first.second","$options":"s"}}"""), Limits).Matches(doc));
    }

    [Fact]
    public void Regex_CatastrophicPatterns_AnswerCorrectlyInLinearTime()
    {
        // Issue 11, item 4: a backtracking engine spent its whole timeout on each of these and answered "no match".
        var nested = FilterParser.ParseFilter(JsonNode.Parse("""{"text":{"$regex":"^(a+)+$"}}"""), Limits);
        var issue = FilterParser.ParseFilter(JsonNode.Parse("""{"text":{"$regex":"^(.+)+X$"}}"""), Limits);
        var five = FilterParser.ParseFilter(JsonNode.Parse(
            """{"$or":[{"text":{"$regex":"^(.+)+X$"}},{"text":{"$regex":"^(a|aa)+$"}},{"text":{"$regex":"^(.*a){20}X"}},{"text":{"$regex":"(a*)*b"}},{"text":{"$regex":"^(\\w+\\s?)+$"}}]}"""), Limits);
        var hostile = new JsonObject { ["text"] = new string('a', 5000) + "!" };
        var matching = new JsonObject { ["text"] = new string('a', 5000) + "X" };

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 40; i++)
        {
            Assert.False(nested.Matches(hostile));
            Assert.False(issue.Matches(hostile));
            Assert.False(five.Matches(hostile));
        }

        Assert.True(nested.Matches(new JsonObject { ["text"] = new string('a', 5000) }));
        Assert.True(issue.Matches(matching));
        Assert.True(five.Matches(matching));
        watch.Stop();

        // 120 evaluations over 5 KB; a backtracking engine took 100 ms (its timeout) for each one.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"regex evaluation took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("(?=a)b", "positive lookahead")]
    [InlineData("(?<=a)b", "lookbehind")]
    [InlineData("(?!a)b", "negative lookahead")]
    [InlineData("(a)\\1", "backreference")]
    [InlineData("(?>a+)b", "atomic")]
    [InlineData("(?(a)b|c)", "conditional")]
    [InlineData("\\Ga", "\\G")]
    [InlineData("(.{0,500}){0,500}", "larger than the configured limit")]
    public void Parse_RegexNeedingBacktracking_IsRefusedAsInvalidFilter(string pattern, string reason)
    {
        var json = new JsonObject { ["a"] = new JsonObject { ["$regex"] = pattern } };

        var error = Assert.Throws<InvalidFilterException>(() => FilterParser.ParseFilter(json, Limits));

        Assert.Contains("'$regex' needs a feature that cannot be matched in linear time", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"$and":[{"type":"compute"},{"cores":{"$gt":8}}]}""", true)]
    [InlineData("""{"$and":[{"type":"compute"},{"cores":{"$gt":32}}]}""", false)]
    [InlineData("""{"$or":[{"type":"switch"},{"cores":{"$gt":8}}]}""", true)]
    [InlineData("""{"$or":[{"type":"switch"},{"type":"pdu"}]}""", false)]
    [InlineData("""{"$nor":[{"type":"switch"},{"type":"pdu"}]}""", true)]
    [InlineData("""{"$nor":[{"type":"switch"},{"type":"compute"}]}""", false)]
    [InlineData("""{"cores":{"$not":{"$gt":20}}}""", true)]
    [InlineData("""{"cores":{"$not":{"$gt":10}}}""", false)]
    [InlineData("""{"missing":{"$not":{"$gt":10}}}""", true)]
    [InlineData("""{"name":{"$not":{"$regex":"^switch"}}}""", true)]
    [InlineData("""{"$not":{"type":"switch"}}""", true)]
    [InlineData("""{"$not":{"type":"compute"}}""", false)]
    [InlineData("""{"$or":[{"$and":[{"type":"compute"},{"tags":"gold"}]},{"type":"pdu"}],"name":{"$regex":"01$"}}""", true)]
    [InlineData("""{"$or":[{"$and":[{"type":"compute"},{"tags":"silver"}]},{"type":"pdu"}]}""", false)]
    [InlineData("""{"$and":[{"$or":[{"cores":{"$not":{"$lt":16}}}]},{"$nor":[{"tags":"bronze"}]}]}""", true)]
    public void Logical_Operators_NestAsInMongo(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Fact]
    public void EmptyFilter_MatchesEveryObjectAndIsEmpty()
    {
        Assert.True(FilterParser.ParseFilter(null, Limits).IsEmpty);
        Assert.True(FilterParser.ParseFilter(new JsonObject(), Limits).Matches(Node));
        Assert.True(Filter.Empty.Matches(Node));
    }

    [Fact]
    public void Matches_NonObjectDocument_IsFalseForARealFilter()
    {
        var filter = FilterParser.ParseFilter(JsonNode.Parse("""{"a":1}"""), Limits);
        Assert.False(filter.Matches(JsonNode.Parse("[1]")));
        Assert.False(filter.Matches(null));
    }

    [Fact]
    public void Matches_DocumentBuiltInCode_ComparesNumbersByValue()
    {
        var doc = new JsonObject { ["n"] = 3, ["l"] = 5L, ["d"] = 2.5m };
        Assert.True(FilterParser.ParseFilter(JsonNode.Parse("""{"n":3.0,"l":{"$gt":4.5},"d":{"$lt":3}}"""), Limits).Matches(doc));
    }

    [Fact]
    public void Filter_DoesNotDependOnTheParsedNode()
    {
        var source = JsonNode.Parse("""{"name":"compute-01"}""")!;
        var filter = FilterParser.ParseFilter(source, Limits);
        source["name"] = "other";
        Assert.True(filter.Matches(Node));
    }

    [Theory]
    [InlineData("""{"node":"n1"}""", "node", "n1")]
    [InlineData("""{"size":3,"node":{"$eq":"n1","$ne":"n2"}}""", "node", "n1")]
    [InlineData("""{"$and":[{"size":{"$gt":1}},{"$and":[{"obms.node":"n1"}]}]}""", "obms.node", "n1")]
    public void TryGetStringEquality_FindsATopLevelStringEquality(string json, string path, string value)
    {
        var filter = FilterParser.ParseFilter(JsonNode.Parse(json), Limits);
        Assert.True(filter.TryGetStringEquality(out var foundPath, out var foundValue));
        Assert.Equal((path, value), (foundPath, foundValue));
    }

    [Theory]
    [InlineData("""{"$or":[{"node":"n1"},{"node":"n2"}]}""")]
    [InlineData("""{"node":{"$in":["n1"]}}""")]
    [InlineData("""{"node":{"$not":{"$eq":"n1"}}}""")]
    [InlineData("""{"size":3}""")]
    [InlineData("""{"node":null}""")]
    [InlineData("""{}""")]
    public void TryGetStringEquality_WithoutOne_IsFalse(string json)
    {
        // None of these requires a field to hold one given string, so none can be found by a lookup.
        var filter = FilterParser.ParseFilter(JsonNode.Parse(json), Limits);
        Assert.False(filter.TryGetStringEquality(out _, out _));
    }

    [Theory]
    [InlineData("""{"$where":"this.a == 1"}""", "operator '$where' is not allowed")]
    [InlineData("""{"$function":{}}""", "operator '$function' is not allowed (at '$function')")]
    [InlineData("""{"$expr":{"$eq":["$a",1]}}""", "operator '$expr' is not allowed (at '$expr')")]
    [InlineData("""{"$accumulator":{}}""", "operator '$accumulator' is not allowed")]
    [InlineData("""{"$jsonSchema":{}}""", "operator '$jsonSchema' is not allowed")]
    [InlineData("""{"$or":[{"a":1},{"$where":"sleep(1000)"}]}""", "operator '$where' is not allowed (at '$or[1].$where')")]
    [InlineData("""{"a":{"$not":{"$where":"x"}}}""", "operator '$where' is not allowed (at 'a.$not.$where')")]
    [InlineData("""{"a":{"$eq":{"$where":"x"}}}""", "operator '$where' is not allowed (at 'a.$eq.$where')")]
    [InlineData("""{"a":{"$elemMatch":{"b":1}}}""", "unknown operator '$elemMatch' (at 'a.$elemMatch')")]
    [InlineData("""{"$text":{"$search":"x"}}""", "unknown operator '$text'")]
    [InlineData("""{"$gt":1}""", "operator '$gt' must be applied to a field")]
    [InlineData("""{"a":{"$regex":"("}}""", "'$regex' is not a valid regular expression")]
    [InlineData("""{"a":{"$regex":5}}""", "'$regex' needs a string pattern")]
    [InlineData("""{"a":{"$regex":"x","$options":"g"}}""", "'$options' may only contain i, m, s and x")]
    [InlineData("""{"a":{"$options":"i"}}""", "'$options' needs '$regex'")]
    [InlineData("""{"a":{"$in":"x"}}""", "'$in' needs an array, not a string (at 'a.$in')")]
    [InlineData("""{"a":{"$nin":{"b":1}}}""", "'$nin' needs an array")]
    [InlineData("""{"a":{"$exists":"yes"}}""", "'$exists' needs a boolean")]
    [InlineData("""{"a":{"$not":5}}""", "'$not' needs an operator object")]
    [InlineData("""{"a":{"$not":{"b":1}}}""", "'$not' needs an operator object")]
    [InlineData("""{"a":{"$gt":1,"b":2}}""", "cannot mix operators and fields")]
    [InlineData("""{"a":{"b":1,"$gt":2}}""", "field names in values cannot start with '$'")]
    [InlineData("""{"$and":{"a":1}}""", "'$and' needs a non-empty array of filters, not an object (at '$and')")]
    [InlineData("""{"$or":[]}""", "'$or' needs a non-empty array")]
    [InlineData("""{"$or":[1]}""", "expected a filter object, not a number (at '$or[0]')")]
    [InlineData("""{"$or":[[{"a":1}]]}""", "expected a filter object, not an array (at '$or[0]')")]
    [InlineData("""{"$not":5}""", "'$not' at top level needs a non-empty filter object")]
    [InlineData("""{"a..b":1}""", "'a..b' is not a valid field path")]
    [InlineData("""{"a.$b":1}""", "'a.$b' is not a valid field path")]
    [InlineData("""[{"a":1}]""", "a filter must be a JSON object, not an array")]
    [InlineData("\"a\"", "a filter must be a JSON object, not a string")]
    public void Parse_RefusesWhatIsNotInTheSafeSubset(string filter, string expectedMessage) =>
        Assert.Contains(expectedMessage, Refused(filter).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_RegexLongerThanLimit_IsRefused()
    {
        var json = new JsonObject { ["a"] = new JsonObject { ["$regex"] = new string('a', Limits.MaxRegexLength + 1) } };
        var error = Assert.Throws<InvalidFilterException>(() => FilterParser.ParseFilter(json, Limits));
        Assert.Contains("'$regex' is longer than 512 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeeperThanMaxDepth_IsRefused()
    {
        var limits = new FilterLimits(MaxDepth: 4);
        // Depth 4: filter object, $and array, element object, operator object.
        FilterParser.ParseFilter(JsonNode.Parse("""{"$and":[{"a":{"$gt":1}}]}"""), limits);

        var error = Assert.Throws<InvalidFilterException>(() =>
            FilterParser.ParseFilter(JsonNode.Parse("""{"$and":[{"$or":[{"a":1}]}]}"""), limits));
        Assert.Contains("nested deeper than 4 levels (at '$and[0].$or[0]')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MoreNodesThanMaxNodes_IsRefused()
    {
        var limits = new FilterLimits(MaxNodes: 10);
        var values = new JsonArray();
        for (var i = 0; i < 20; i++)
        {
            values.Add(i);
        }

        var error = Assert.Throws<InvalidFilterException>(() =>
            FilterParser.ParseFilter(new JsonObject { ["a"] = new JsonObject { ["$in"] = values } }, limits));
        Assert.Contains("more than 10 nodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseQuery_PlainFilter_HasNoPaging()
    {
        var query = FilterParser.ParseQuery(JsonNode.Parse("""{"type":"compute"}"""), Limits);
        Assert.True(query.Filter.Matches(Node));
        Assert.Empty(query.Sort);
        Assert.Equal(0, query.Skip);
        Assert.Null(query.Limit);
    }

    [Fact]
    public void ParseQuery_Null_MatchesAll()
    {
        var query = FilterParser.ParseQuery(null, Limits);
        Assert.True(query.Filter.IsEmpty);
        Assert.Null(query.Limit);
    }

    [Fact]
    public void ParseQuery_WaterlineEnvelope_ReadsWhereLimitSkipAndSortObject()
    {
        var query = FilterParser.ParseQuery(
            JsonNode.Parse("""{"where":{"type":"switch"},"limit":10,"skip":5,"sort":{"createdAt":-1,"name":1,"a":"asc","b":"DESC"}}"""), Limits);

        Assert.False(query.Filter.Matches(Node));
        Assert.Equal(10, query.Limit);
        Assert.Equal(5, query.Skip);
        Assert.Equal(
            [
                new SortField("createdAt", SortDirection.Descending),
                new SortField("name", SortDirection.Ascending),
                new SortField("a", SortDirection.Ascending),
                new SortField("b", SortDirection.Descending),
            ],
            query.Sort);
    }

    [Theory]
    [InlineData("createdAt DESC", "createdAt:Descending")]
    [InlineData("name ASC, createdAt DESC", "name:Ascending|createdAt:Descending")]
    [InlineData("name", "name:Ascending")]
    [InlineData("  name  desc ,", "name:Descending")]
    [InlineData("", "")]
    public void ParseQuery_WaterlineSortString_IsRead(string sort, string expected)
    {
        var query = FilterParser.ParseQuery(new JsonObject { ["sort"] = sort }, Limits);
        Assert.Equal(expected, string.Join('|', query.Sort.Select(s => $"{s.Path}:{s.Direction}")));
    }

    [Fact]
    public void ParseQuery_EnvelopeWithoutWhere_UsesOtherKeysAsFilter()
    {
        var query = FilterParser.ParseQuery(JsonNode.Parse("""{"name":"compute-01","limit":1}"""), Limits);
        Assert.True(query.Filter.Matches(Node));
        Assert.Equal(1, query.Limit);
        // The envelope's limit is no condition: the filter is the name alone, in the one translation MongoDB gets.
        Assert.Equal(new BsonDocument("name", "compute-01"), MongoFilterTranslation.ToQuery(query.Filter));
    }

    [Fact]
    public void ParseQuery_LimitAboveMax_IsCapped_AndZeroMeansNoLimit()
    {
        Assert.Equal(1000, FilterParser.ParseQuery(JsonNode.Parse("""{"limit":5000}"""), Limits).Limit);
        Assert.Null(FilterParser.ParseQuery(JsonNode.Parse("""{"limit":0}"""), Limits).Limit);
        Assert.Equal(3, FilterParser.ParseQuery(JsonNode.Parse("""{"limit":3.0}"""), Limits).Limit);
    }

    [Theory]
    [InlineData("""{"limit":-1}""", "'limit' must be a non-negative integer, not a number (at 'limit')")]
    [InlineData("""{"limit":"10"}""", "'limit' must be a non-negative integer, not a string")]
    [InlineData("""{"limit":1.5}""", "'limit' must be a non-negative integer")]
    [InlineData("""{"skip":true}""", "'skip' must be a non-negative integer, not a boolean")]
    [InlineData("""{"sort":5}""", "'sort' must be an object or a string, not a number")]
    [InlineData("""{"sort":["name"]}""", "'sort' must be an object or a string, not an array")]
    [InlineData("""{"sort":{"name":2}}""", "sort direction must be 1, -1")]
    [InlineData("""{"sort":{"name":"up"}}""", "sort direction must be 1, -1, \"asc\" or \"desc\", not 'up' (at 'sort.name')")]
    [InlineData("""{"sort":"name UP"}""", "not 'UP'")]
    [InlineData("""{"sort":"name ASC extra"}""", "sort clause 'name ASC extra'")]
    [InlineData("""{"sort":{"$natural":1}}""", "'$natural' is not a valid field path")]
    [InlineData("""{"where":[{"a":1}]}""", "'where' must be an object, not an array (at 'where')")]
    [InlineData("""{"where":"a"}""", "'where' must be an object, not a string")]
    [InlineData("""{"where":{"a":1},"b":2}""", "unexpected key 'b' next to 'where'")]
    [InlineData("""{"where":{"$where":"1"}}""", "operator '$where' is not allowed (at 'where.$where')")]
    [InlineData("""{"where":{"$or":[{"a":1},{"$where":"1"}]},"limit":1}""", "operator '$where' is not allowed (at 'where.$or[1].$where')")]
    [InlineData("""[1]""", "query parameters must be a JSON object")]
    public void ParseQuery_RefusesBadEnvelopes(string json, string expectedMessage)
    {
        var error = Assert.Throws<InvalidFilterException>(() => FilterParser.ParseQuery(JsonNode.Parse(json), Limits));
        Assert.Contains(expectedMessage, error.Message, StringComparison.Ordinal);
    }
}
