using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DematOperator.KubeSim.Security;

public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public bool IsMaster => Groups.Contains("system:masters");
}

/// <summary>Bearer tokens and the users they stand for. The admin token belongs to system:masters.</summary>
public sealed class Authenticator
{
    private readonly ConcurrentDictionary<string, UserInfo> _tokens = new();

    public Authenticator()
    {
        AdminToken = NewToken();
        _tokens[AdminToken] = new UserInfo("kube-sim-admin", ["system:masters", "system:authenticated"]);
    }

    public string AdminToken { get; }

    /// <summary>False only for plain-HTTP clusters started without authentication.</summary>
    public bool Required { get; set; } = true;

    /// <summary>A token for a service account, as the TokenRequest API would issue one.</summary>
    public string IssueServiceAccountToken(string ns, string serviceAccount)
    {
        var token = NewToken();
        _tokens[token] = new UserInfo($"system:serviceaccount:{ns}:{serviceAccount}",
            ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);
        return token;
    }

    public UserInfo? Authenticate(string? bearer) =>
        bearer is not null && _tokens.TryGetValue(bearer, out var user) ? user : null;

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
}
