using Bridge.Client.Channels;
using Bridge.UnitTests.Broker;

namespace Bridge.UnitTests.Clients;

/// <summary>
/// The .NET client decides which of its <c>mq</c> watches an item belongs to by its routing key: it must route as
/// the server does, so it runs the server matcher's own table (<see cref="TopicMatchingCases"/>).
/// </summary>
public sealed class RoutingKeyPatternTests
{
    [Theory]
    [MemberData(nameof(TopicMatchingCases.TutorialFive), MemberType = typeof(TopicMatchingCases))]
    public void Matches_TutorialFiveExamples_AgreesWithTheServer(string bindingKey, string routingKey, bool expected) =>
        Assert.Equal(expected, RoutingKeyPattern.Matches(bindingKey, routingKey));

    [Theory]
    [MemberData(nameof(TopicMatchingCases.EdgeCases), MemberType = typeof(TopicMatchingCases))]
    public void Matches_HashAndEmptyWordEdgeCases_AgreesWithTheServer(string bindingKey, string routingKey, bool expected) =>
        Assert.Equal(expected, RoutingKeyPattern.Matches(bindingKey, routingKey));
}
