namespace DematOperator.KubeSim.Http;

/// <summary>A request path taken apart the way the API server's request-info resolver does it.</summary>
public sealed record ApiRequest(
    string Group, string Version, string? Namespace, string? Resource, string? Name, string? Subresource)
{
    /// <summary>Parses `/api/v1/...` and `/apis/{group}/{version}/...`; null for non-resource paths.</summary>
    public static ApiRequest? Parse(string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        int i;
        string group, version;
        if (parts.Length >= 2 && parts[0] == "api") { group = ""; version = parts[1]; i = 2; }
        else if (parts.Length >= 3 && parts[0] == "apis") { group = parts[1]; version = parts[2]; i = 3; }
        else return null;
        var rest = parts[i..];
        if (rest.Length == 0) return new ApiRequest(group, version, null, null, null, null);
        string? ns = null;
        // namespaces/{ns}/{resource}... addresses namespaced objects, unless the third part is a subresource of
        // the namespace itself (status, finalize), exactly as the server's resolver decides it.
        if (rest[0] == "namespaces" && rest.Length >= 3 && rest[2] is not ("status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }
        return rest.Length switch
        {
            1 => new ApiRequest(group, version, ns, rest[0], null, null),
            2 => new ApiRequest(group, version, ns, rest[0], rest[1], null),
            3 => new ApiRequest(group, version, ns, rest[0], rest[1], rest[2]),
            _ => new ApiRequest(group, version, ns, rest[0], rest[1], string.Join('/', rest[2..])),
        };
    }
}
