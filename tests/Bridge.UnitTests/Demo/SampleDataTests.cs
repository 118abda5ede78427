using System.Text.Json.Nodes;
using Bridge.Demo;

namespace Bridge.UnitTests.Demo;

public sealed class SampleDataTests
{
    [Fact]
    public void Create_IsDeterministic()
    {
        var first = SampleData.Create();
        var second = SampleData.Create();
        foreach (var name in SampleData.CollectionNames)
        {
            Assert.Equal(first[name].Select(d => d.ToJsonString()), second[name].Select(d => d.ToJsonString()));
        }
    }

    [Fact]
    public void Create_FillsEveryCollectionWithUniqueIds()
    {
        var data = SampleData.Create();
        Assert.Equal(SampleData.CollectionNames.Order(), data.Keys.Order());
        foreach (var (name, documents) in data)
        {
            Assert.NotEmpty(documents);
            var ids = documents.Select(d => d["id"]!.GetValue<string>()).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.All(ids, id => Assert.Matches("^[0-9a-f]{24}$", id));
        }
    }

    [Fact]
    public void Nodes_HaveRackHdShapeAndKnownIds()
    {
        var nodes = SampleData.Create()[SampleData.Nodes];
        Assert.Equal(SampleData.NodeIds, nodes.Select(n => n["id"]!.GetValue<string>()));
        Assert.Equal(8, nodes.Count(n => n["type"]!.GetValue<string>() == "compute"));
        Assert.Equal(2, nodes.Count(n => n["type"]!.GetValue<string>() == "switch"));
        foreach (var node in nodes)
        {
            Assert.All(new[] { "name", "type", "autoDiscover", "identifiers", "obms", "relations", "tags", "sku", "createdAt", "updatedAt" },
                key => Assert.True(node.ContainsKey(key), $"node {node["name"]} lacks {key}"));
        }
    }

    [Fact]
    public void References_PointAtExistingDocuments()
    {
        var data = SampleData.Create();
        var nodeIds = SampleData.NodeIds.ToHashSet();
        Assert.All(data[SampleData.Catalogs], c => Assert.Contains(c["node"]!.GetValue<string>(), nodeIds));
        Assert.All(data[SampleData.GraphObjects], g => Assert.Contains(g["node"]!.GetValue<string>(), nodeIds));
        Assert.All(data["workitems"], w => Assert.Contains(w["node"]!.GetValue<string>(), nodeIds));
        Assert.All(data["lookups"], l => Assert.Contains(l["node"]!.GetValue<string>(), nodeIds));
        var skuIds = SampleData.SkuIds.ToHashSet();
        Assert.All(data[SampleData.Nodes].Where(n => n["sku"] is not null), n => Assert.Contains(n["sku"]!.GetValue<string>(), skuIds));
        Assert.Equal(SampleData.GraphInstanceIds, data[SampleData.GraphObjects].Select(g => g["instanceId"]!.GetValue<string>()));
    }

    [Fact]
    public void GraphObjects_IncludeOneRunningGraph()
    {
        var running = Assert.Single(SampleData.Create()[SampleData.GraphObjects], g => g["_status"]!.GetValue<string>() == "running");
        Assert.Equal(SampleData.RunningGraphInstanceId, running["instanceId"]!.GetValue<string>());
        Assert.Equal("Graph.InstallCentOS", running["injectableName"]!.GetValue<string>());
    }

    [Fact]
    public void Timestamps_AreIsoStringsAfterTheFixedBaseTimeOrder()
    {
        var node = SampleData.Create()[SampleData.Nodes][0];
        Assert.Equal("2024-03-01T08:03:00.000Z", node["createdAt"]!.GetValue<string>());
    }

    [Fact]
    public void CatalogFor_BuildsADmiCatalogOfTheNode()
    {
        var catalog = SampleData.CatalogFor(2, "dmi", "c1", "2024-03-01T09:00:00.000Z");
        Assert.Equal(SampleData.ComputeNodeIds[1], catalog["node"]!.GetValue<string>());
        Assert.Equal("D51B-2U (dual 1G LoM)", catalog["data"]!["System Information"]!["Product Name"]!.GetValue<string>());
        Assert.IsType<JsonObject>(catalog["data"]);
        Assert.Equal("c1", catalog["id"]!.GetValue<string>());
        Assert.Equal("2024-03-01T09:00:00.000Z", catalog["createdAt"]!.GetValue<string>());
        Assert.Equal("2024-03-01T09:00:00.000Z", catalog["updatedAt"]!.GetValue<string>());
    }

    [Fact]
    public void CatalogFor_LeavesTheSampleDataAsItWas()
    {
        var catalog = SampleData.CatalogFor(1, "bmc", "c2", "2024-03-01T09:00:00.000Z");
        catalog["data"]!["IP Address"] = "changed";

        var sample = SampleData.Create()[SampleData.Catalogs].Single(c => c["node"]!.GetValue<string>() == SampleData.ComputeNodeIds[0] && c["source"]!.GetValue<string>() == "bmc");
        Assert.NotEqual("c2", sample["id"]!.GetValue<string>());
        Assert.NotEqual("changed", sample["data"]!["IP Address"]!.GetValue<string>());
    }

    [Fact]
    public void CatalogFor_ASourceTheSampleDataDoesNotHave_SaysSo()
    {
        var error = Assert.Throws<ArgumentException>(() => SampleData.CatalogFor(1, "lldp", "c3", "2024-03-01T09:00:00.000Z"));
        Assert.Contains("lldp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheIds_AreReadFromTheResource()
    {
        Assert.Equal(12, SampleData.NodeIds.Count);
        Assert.Equal(8, SampleData.ComputeNodeIds.Count);
        Assert.Equal(2, SampleData.SwitchNodeIds.Count);
        Assert.Equal("65e18b000100000000000001", SampleData.ComputeNodeIds[0]);
        Assert.Equal("65e18b00010000000000000b", SampleData.PduNodeId);
        Assert.Equal(40, SampleData.CatalogIds.Count);
    }
}
