namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>A fixture that says where a client reconnects: the same bridge, or another instance of the deployment.</summary>
public interface IRecoveryFixture
{
    Uri ReconnectUri(string path);
}
