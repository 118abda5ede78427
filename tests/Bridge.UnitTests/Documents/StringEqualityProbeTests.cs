using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Documents;

namespace Bridge.UnitTests.Documents;

public sealed class StringEqualityProbeTests
{
    private static readonly FilterLimits Limits = new();

    // Shapes a path can take on its way to a string: present, missing, another type, nested, through arrays of
    // scalars, of objects and of arrays, by position, escaped text, and a name that differs only in case.
    private static readonly string[] Documents =
    [
        """{"id":"n1","name":"compute-01"}""",
        """{"id":"n2","name":"compute-02"}""",
        """{"name":"no id"}""",
        """{"id":1}""",
        """{"id":null}""",
        """{"id":true}""",
        """{"id":{"value":"n1"}}""",
        """{"id":["n0","n1"]}""",
        """{"id":[["n1"]]}""",
        """{"ID":"n1"}""",
        """{"id":"n\u0031"}""",
        """{"location":{"rack":"r1","slot":3}}""",
        """{"location":{"rack":"r2"}}""",
        """{"location":"r1"}""",
        """{"obms":[{"service":"ipmi","config":{"host":"10.0.0.1"}},{"service":"redfish"}]}""",
        """{"obms":{"service":"ipmi"}}""",
        """{"tags":["rack-1","gold"]}""",
        """{"matrix":[["a","b"],["c"]]}""",
        """{"a":[{"b":[{"c":"x"}]}]}""",
        """{"a":{"b":{"c":"x"}}}""",
        """{"a":{"b":[{"c":"y"},{"c":"x"}]}}""",
    ];

    private static readonly string[] Filters =
    [
        """{"id":"n1"}""",
        """{"id":"n2"}""",
        """{"id":{"$eq":"n1","$ne":"n2"}}""",
        """{"id":"n1","name":{"$regex":"^compute"}}""",
        """{"location.rack":"r1"}""",
        """{"obms.service":"ipmi"}""",
        """{"obms.0.service":"ipmi"}""",
        """{"obms.1.service":"ipmi"}""",
        """{"obms.config.host":"10.0.0.1"}""",
        """{"tags":"gold"}""",
        """{"tags.1":"gold"}""",
        """{"matrix.0":"a"}""",
        """{"a.b.c":"x"}""",
        """{"$and":[{"tags":{"$exists":true}},{"id":"n1"}]}""",
    ];

    public static TheoryData<string> AllFilters => [.. Filters];

    [Theory]
    [MemberData(nameof(AllFilters))]
    public void RulesOut_NeverADocumentTheFilterMatches(string filterJson)
    {
        var filter = FilterParser.ParseFilter(JsonNode.Parse(filterJson), Limits);
        var probe = filter.Probe;
        Assert.NotNull(probe);
        foreach (var json in Documents)
        {
            using var document = JsonDocument.Parse(json);
            var matches = filter.Matches(JsonObject.Create(document.RootElement));
            if (matches)
            {
                Assert.False(probe.RulesOut(document.RootElement), $"{filterJson} matches {json}, and the probe ruled it out");
            }
        }
    }

    [Theory]
    [InlineData("""{"id":"n1"}""", """{"id":"n2","name":"compute-02"}""")]
    [InlineData("""{"id":"n1"}""", """{"name":"no id"}""")]
    [InlineData("""{"id":"n1"}""", """{"id":1}""")]
    [InlineData("""{"id":"n1"}""", """{"id":null}""")]
    [InlineData("""{"id":"n1"}""", """{"id":{"value":"n1"}}""")]
    [InlineData("""{"id":"n1"}""", """{"ID":"n1"}""")]
    [InlineData("""{"location.rack":"r1"}""", """{"location":{"rack":"r2"}}""")]
    [InlineData("""{"location.rack":"r1"}""", """{"location":"r1"}""")]
    [InlineData("""{"$and":[{"tags":{"$exists":true}},{"id":"n1"}]}""", """{"id":"n2"}""")]
    public void RulesOut_WhatThePathCannotReach(string filterJson, string json)
    {
        var probe = FilterParser.ParseFilter(JsonNode.Parse(filterJson), Limits).Probe!;
        using var document = JsonDocument.Parse(json);
        Assert.True(probe.RulesOut(document.RootElement));
    }

    [Theory]
    [InlineData("""{"id":"n1"}""", """{"id":"n1","name":"compute-01"}""")]
    [InlineData("""{"id":"n1"}""", """{"id":"n\u0031"}""")]
    [InlineData("""{"id":"n1"}""", """{"id":["n0","n1"]}""")]
    [InlineData("""{"id":"n1"}""", """{"id":[["n1"]]}""")]
    [InlineData("""{"obms.service":"ipmi"}""", """{"obms":[{"service":"ipmi"}]}""")]
    [InlineData("""{"location.rack":"r1"}""", """{"location":{"rack":"r1","slot":3}}""")]
    public void KeepsForTheFilter_AnEqualStringAndEveryArray(string filterJson, string json)
    {
        var probe = FilterParser.ParseFilter(JsonNode.Parse(filterJson), Limits).Probe!;
        using var document = JsonDocument.Parse(json);
        Assert.False(probe.RulesOut(document.RootElement));
    }

    [Theory]
    [InlineData("""{"$or":[{"id":"n1"},{"id":"n2"}]}""")]
    [InlineData("""{"id":{"$in":["n1"]}}""")]
    [InlineData("""{"group":3}""")]
    [InlineData("""{}""")]
    public void Probe_OfAFilterWithoutAStringEquality_IsNull(string filterJson) =>
        Assert.Null(FilterParser.ParseFilter(JsonNode.Parse(filterJson), Limits).Probe);
}
