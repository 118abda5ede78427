using System.Text.RegularExpressions;

namespace Bridge.Auth;

internal static partial class AccountNames
{
    public const string Pattern = "^[a-zA-Z0-9_-]{1,86}$";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    public static partial Regex Valid();
}
