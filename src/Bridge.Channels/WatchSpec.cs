using Bridge.Documents;

namespace Bridge.Channels;

/// <summary>What a watch asks for, in a form where equal requests compare equal (key order does not matter).</summary>
internal sealed record WatchSpec(ResourceDefinition Resource, string CanonicalParams, WatchSource Source, Filter Filter)
{
    public (string Resource, string Params) Key => (Resource.Name, CanonicalParams);
}
