using System.Text;
using Bridge.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Bridge.UnitTests.Webhooks;

/// <summary>Our signatures as the StandardWebhooks NuGet package (1.1.2) verifies them, not as our own code would.</summary>
public sealed class WebhookSignatureTests
{
    private const string Body = """{"id":"urn:uuid:1","type":"Update","data":{"hello":"world"}}""";

    private static HeaderDictionary Headers(string id, DateTimeOffset timestamp, string signature) => new()
    {
        [WebhookSignature.IdHeader] = id,
        [WebhookSignature.TimestampHeader] = timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        [WebhookSignature.SignatureHeader] = signature,
    };

    private static string SignWith(string secret, string id, DateTimeOffset timestamp, string body) =>
        WebhookSignature.Sign([WebhookSignature.KeyOf(secret)], id, timestamp, Encoding.UTF8.GetBytes(body));

    [Fact]
    public void ASignedDelivery_VerifiesWithTheLibrary()
    {
        var secret = WebhookSignature.NewSecret();
        var now = DateTimeOffset.UtcNow;
        var signature = SignWith(secret, "msg_1", now, Body);

        new StandardWebhook(secret).Verify(Body, Headers("msg_1", now, signature));
        Assert.StartsWith("v1,", signature, StringComparison.Ordinal);
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(WebhookSignature.SecretBytes, WebhookSignature.KeyOf(secret).Length);
    }

    [Fact]
    public void ATamperedBody_AWrongSecret_AnotherId_AndAnOldTimestamp_FailInTheLibrary()
    {
        var secret = WebhookSignature.NewSecret();
        var now = DateTimeOffset.UtcNow;
        var signature = SignWith(secret, "msg_1", now, Body);

        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(secret).Verify(Body.Replace("world", "w0rld", StringComparison.Ordinal), Headers("msg_1", now, signature)));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(WebhookSignature.NewSecret()).Verify(Body, Headers("msg_1", now, signature)));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(secret).Verify(Body, Headers("msg_2", now, signature)));

        // Signed correctly, but six minutes ago: past the five-minute tolerance.
        var old = now.AddMinutes(-6);
        var oldSignature = SignWith(secret, "msg_1", old, Body);
        var error = Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(secret).Verify(Body, Headers("msg_1", old, oldSignature)));
        Assert.Contains("too old", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DuringARotation_BothSecretsSign_AndEachVerifiesAlone()
    {
        var previous = WebhookSignature.NewSecret();
        var current = WebhookSignature.NewSecret();
        var now = DateTimeOffset.UtcNow;
        var signature = WebhookSignature.Sign([WebhookSignature.KeyOf(current), WebhookSignature.KeyOf(previous)], "msg_r", now, Encoding.UTF8.GetBytes(Body));

        // current, previous, and current again (for the .NET package, see WebhookSignature.Sign)
        Assert.Equal(3, signature.Split(' ').Length);
        new StandardWebhook(current).Verify(Body, Headers("msg_r", now, signature));
        new StandardWebhook(previous).Verify(Body, Headers("msg_r", now, signature));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(WebhookSignature.NewSecret()).Verify(Body, Headers("msg_r", now, signature)));
    }

    [Fact]
    public void WebhookIds_AreTheSameForOneEventAndSubscription_AndDifferOtherwise()
    {
        Assert.Equal(WebhookEmitter.WebhookId("s1", "urn:uuid:a"), WebhookEmitter.WebhookId("s1", "urn:uuid:a"));
        Assert.NotEqual(WebhookEmitter.WebhookId("s1", "urn:uuid:a"), WebhookEmitter.WebhookId("s2", "urn:uuid:a"));
        Assert.NotEqual(WebhookEmitter.WebhookId("s1", "urn:uuid:a"), WebhookEmitter.WebhookId("s1", "urn:uuid:b"));
    }
}
