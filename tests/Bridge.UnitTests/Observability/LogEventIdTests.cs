using System.Reflection;
using Bridge.UnitTests.Architecture;
using Microsoft.Extensions.Logging;

namespace Bridge.UnitTests.Observability;

/// <summary>
/// Every log event of the bridge has an id of its own: operators filter and alert on ids (docs/operations.md
/// names several), and two events under one id make such a filter catch the wrong one.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void LoggerMessages_InEveryBridgeAssembly_HaveDistinctEventIds()
    {
        var events = new[] { LayerRules.Core, LayerRules.Host }.Concat(LayerRules.Fronts)
            .Select(Assembly.Load)
            .SelectMany(static assembly => assembly.GetTypes())
            .SelectMany(static type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(static method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(static e => e.Attribute is not null)
            .Select(static e => (Id: e.Attribute!.EventId, Name: $"{e.Method.DeclaringType!.FullName}.{e.Method.Name}"))
            .ToList();

        // Guards against passing vacuously (the attribute no longer found, an assembly not loaded).
        Assert.True(events.Count > 100, $"only {events.Count} logger messages found");

        var shared = events.GroupBy(static e => e.Id)
            .Where(static group => group.Count() > 1)
            .Select(static group => $"{group.Key}: {string.Join(", ", group.Select(static e => e.Name))}")
            .ToList();
        Assert.Empty(shared);
    }
}
