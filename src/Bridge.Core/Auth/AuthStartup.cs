namespace Bridge.Auth;

/// <summary>
/// Builds the account directory and loads the signing key when the host starts, so that a bad key file
/// fails start-up and the generated embedded admin's password is logged at start, not at the first login.
/// </summary>
internal sealed class AuthStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<AccountDirectory>();
        services.GetRequiredService<TokenService>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
