namespace Bridge.Auth;

// SEAM (owned by the auth work).
public static class PasswordHashCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error) => throw new NotImplementedException();
}
