namespace Bridge.Auth;

/// <summary>A configured account. <see cref="Name"/> is spelled as configured; lookups ignore case.</summary>
public sealed class Account
{
    internal Account(string name, bool isAdmin, PasswordHash passwordHash)
    {
        Name = name;
        IsAdmin = isAdmin;
        PasswordHash = passwordHash;
    }

    public string Name { get; }

    public bool IsAdmin { get; }

    internal PasswordHash PasswordHash { get; }

    public Caller ToCaller() => new(Name, IsAdmin);
}
