using System.Globalization;
using System.Text.Json.Nodes;
using Bridge.Demo;

namespace Bridge.UnitTests.Demo;

/// <summary>Sample data dated relative to the start (issue 15: seed documents showed "1006d ago" on the dashboard).</summary>
public sealed class SampleDatesTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 4, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset Parse(JsonNode? node) =>
        DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public void CreateBefore_PutsTheNewestTimestampJustBeforeTheStart()
    {
        var data = SampleDates.CreateBefore(Start);

        var stamps = data.Values.SelectMany(d => d).SelectMany(d => new[] { d["createdAt"], d["updatedAt"] }).Where(n => n is not null).Select(Parse).ToList();
        Assert.NotEmpty(stamps);
        Assert.All(stamps, s => Assert.True(s <= Start - SampleDates.Margin, $"{s:O} is after the start's margin"));
        Assert.True(stamps.Max() > Start - TimeSpan.FromDays(1), $"the newest sample timestamp {stamps.Max():O} is more than a day old");
    }

    [Fact]
    public void CreateBefore_KeepsOrderAndSpacing()
    {
        var fixedNodes = SampleData.Create()[SampleData.Nodes];
        var movedNodes = SampleDates.CreateBefore(Start)[SampleData.Nodes];

        var fixedGap = Parse(fixedNodes[1]["createdAt"]) - Parse(fixedNodes[0]["createdAt"]);
        var movedGap = Parse(movedNodes[1]["createdAt"]) - Parse(movedNodes[0]["createdAt"]);
        Assert.Equal(fixedGap, movedGap);
        Assert.Equal(Parse(fixedNodes[0]["updatedAt"]) - Parse(fixedNodes[0]["createdAt"]), Parse(movedNodes[0]["updatedAt"]) - Parse(movedNodes[0]["createdAt"]));
        Assert.Equal(fixedNodes[0]["id"]!.GetValue<string>(), movedNodes[0]["id"]!.GetValue<string>());
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$", movedNodes[0]["createdAt"]!.GetValue<string>());
    }
}
