namespace Bridge.Client.Ledger;

/// <summary>The answer of <c>/auth_token</c>.</summary>
public sealed record LedgerToken(string Token, TimeSpan? MaxAge);
