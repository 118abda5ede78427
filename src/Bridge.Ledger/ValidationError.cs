namespace Bridge.Ledger;

/// <summary>One entry of <c>data.validationErrors</c>, in the shape ajv 4 gives them.</summary>
internal sealed record ValidationError(string Keyword, string DataPath, string SchemaPath, string? ParamName, object? ParamValue, string Message);
