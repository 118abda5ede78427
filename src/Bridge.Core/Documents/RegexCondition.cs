using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Bridge.Documents;

internal sealed class RegexCondition(Regex regex) : ValueCondition
{
    public Regex Regex => regex;

    public override bool Matches(List<PathValue> values) => AnyValueOrElement(values, IsMatch);

    private bool IsMatch(JsonNode? actual)
    {
        if (JsonSemantics.AsString(actual) is not { } text)
        {
            return false;
        }

        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern that backtracks catastrophically on this value does not match it: the bridge
            // must answer, not hang (the timeout is set when the filter is parsed).
            return false;
        }
    }
}
