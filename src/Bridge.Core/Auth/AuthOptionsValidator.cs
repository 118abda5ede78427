using Microsoft.Extensions.Options;

namespace Bridge.Auth;

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options) =>
        options.SigningKey is null || TryDecodeSigningKey(options.SigningKey, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{AuthOptions.SectionName}:SigningKey must be base64 of at least {AuthOptions.MinimumSigningKeyBytes} bytes.");

    public static bool TryDecodeSigningKey(string text, out byte[] key)
    {
        key = [];
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written) || written < AuthOptions.MinimumSigningKeyBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }
}
