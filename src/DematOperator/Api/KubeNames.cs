using System.Security.Cryptography;
using System.Text;

namespace DematOperator.Api;

/// <summary>Object names and label values the operator makes up, kept within Kubernetes' length limits.</summary>
public static class KubeNames
{
    /// <summary>Names are cut with a hash suffix when too long, so they stay unique and valid.</summary>
    public static string Fit(string name, int max)
    {
        if (name.Length <= max) return name;
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8].ToLowerInvariant();
        return name[..(max - 9)].TrimEnd('-', '.') + "-" + hash;
    }

    /// <summary>The label an operator-made object carries, as the Kubernetes recommended labels name it.</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "dematoperator";
}
