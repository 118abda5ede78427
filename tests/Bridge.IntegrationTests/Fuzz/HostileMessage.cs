using System.Globalization;
using System.Text;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>One generated message: what kind of hostility it carries, and its bytes.</summary>
public sealed record HostileMessage(string Kind, byte[] Bytes)
{
    public string Preview
    {
        get
        {
            var text = Encoding.UTF8.GetString(Bytes);
            return text.Length <= 300 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..300]}… ({Bytes.Length} bytes)");
        }
    }
}
