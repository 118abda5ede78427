using Bridge.Auth;
using Bridge.Hosting;

// `Bridge hash-password <password>` prints a hash for Bridge:Accounts:N:PasswordHash and exits.
if (args is ["hash-password", ..])
{
    return PasswordHashCommand.Run(args[1..], Console.Out, Console.Error);
}

var app = BridgeApplication.Build(args);
await app.RunAsync();
return 0;
