namespace Bridge.Auth;

/// <summary>
/// <c>Bridge hash-password &lt;password&gt;</c> (or <c>-</c> to read it from standard input, which keeps it
/// out of the shell history and the process list): prints a value for <c>Bridge:Accounts:N:PasswordHash</c>.
/// </summary>
internal static class PasswordHashCommand
{
    private const string Usage = """
        usage: Bridge hash-password <password>
               Bridge hash-password -      (reads the password from the first line of standard input)
        Prints a value for Bridge:Accounts:N:PasswordHash.
        """;

    /// <summary>Runs with the arguments after <c>hash-password</c>; returns 0 on success, 2 on a usage error.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => Run(args, Console.In, output, error);

    public static int Run(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        if (args is ["-h" or "--help"])
        {
            output.WriteLine(Usage);
            return 0;
        }

        if (args.Length != 1)
        {
            error.WriteLine(Usage);
            return 2;
        }

        var password = args[0] == "-" ? input.ReadLine() : args[0];
        if (string.IsNullOrEmpty(password))
        {
            error.WriteLine("hash-password: the password is empty.");
            error.WriteLine(Usage);
            return 2;
        }

        output.WriteLine(PasswordHasher.Hash(password));
        return 0;
    }
}
