using Bridge.Auth;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

public static class AuthExtensions
{
    public static IHostApplicationBuilder AddBridgeAuth(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<AccountsOptions>()
            .BindConfiguration(AccountsOptions.SectionName)
            .Configure<IConfiguration>(RecordConfigurationPaths)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>();

        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();

        services.AddSingleton<AccountDirectory>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<PasswordAttemptGuard>();
        services.AddSingleton<RequestAuthenticator>();
        services.AddHostedService<AuthStartup>();
        return builder;
    }

    /// <summary>
    /// Turns a refused password check, wherever credentials are read, into 429/503 with <c>Retry-After</c>.
    /// Goes before every endpoint.
    /// </summary>
    public static IApplicationBuilder UseBridgeAuth(this IApplicationBuilder app) => app.UseMiddleware<PasswordCheckRefusalMiddleware>();

    /// <summary>Maps <c>GET /auth_token</c> and <c>POST /authenticate</c>.</summary>
    public static IEndpointRouteBuilder MapBridgeAuth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/auth_token", TokenEndpoints.IssueTokenAsync);
        endpoints.MapPost("/authenticate", TokenEndpoints.IssueTokenAsync);
        return endpoints;
    }

    // The binder turns Bridge:Accounts:0, :1, :5 into list items 0, 1, 2; error messages must name the real key.
    private static void RecordConfigurationPaths(AccountsOptions options, IConfiguration configuration)
    {
        var sections = configuration.GetSection(AccountsOptions.AccountsKey).GetChildren().ToList();
        for (var i = 0; i < options.Accounts.Count; i++)
        {
            options.Accounts[i].ConfigurationPath = sections.Count == options.Accounts.Count
                ? sections[i].Path
                : $"{AccountsOptions.AccountsKey}:{i}";
        }
    }
}
