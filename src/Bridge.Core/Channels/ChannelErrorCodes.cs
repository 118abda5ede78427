namespace Bridge.Channels;

/// <summary>The machine-readable codes of <c>error</c> replies (contract: "Replies").</summary>
public static class ChannelErrorCodes
{
    public const string InvalidJson = "invalid_json";
    public const string InvalidMessage = "invalid_message";
    public const string MissingHandler = "missing_handler";
    public const string UnknownHandler = "unknown_handler";
    public const string UnknownResource = "unknown_resource";
    public const string InvalidParams = "invalid_params";
    public const string InvalidFilter = "invalid_filter";
    public const string FilterTooCostly = "filter_too_costly";
    public const string NotSupported = "not_supported";
    public const string ExchangeNotAllowed = "exchange_not_allowed";
    public const string TooManyWatches = "too_many_watches";
    public const string StoreUnavailable = "store_unavailable";
    public const string BrokerUnavailable = "broker_unavailable";
    public const string NotAuthorized = "not_authorized";
    public const string InternalError = "internal_error";
}
