using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequest as kube-apiserver's registry strategy and validation treat it
/// (kubernetes pkg/registry/certificates/certificates/strategy.go, pkg/apis/certificates/validation/validation.go):
/// the requester's identity is stamped on create, the spec never changes, Approved/Denied are written only through
/// /approval and status.certificate only through /status, once; Approved, Denied and Failed are never removed.
/// The signer admission checks (`approve`/`sign` on `signers`) are not emulated: RBAC on the subresources is.
/// </summary>
internal static partial class CertificateSigningRequestStrategy
{
    public const string StorageKey = BuiltinKeys.CertificateSigningRequests;
    private const string Kind = "CertificateSigningRequest", Group = "certificates.k8s.io";
    private static readonly string[] TrueOnlyTypes = ["Approved", "Denied", "Failed"];

    /// <summary>pkg/apis/certificates/types.go KeyUsage values.</summary>
    private static readonly HashSet<string> Usages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    ];

    public static void PrepareForCreate(RequestContext ctx, JsonObject obj)
    {
        obj.Remove("status");
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        obj["spec"] = spec;
        spec["username"] = ctx.User;
        spec["groups"] = new JsonArray("system:authenticated");
        spec.Remove("uid");
        spec.Remove("extra");
    }

    /// <summary>
    /// The main endpoint changes metadata only; /status takes the new status but keeps the spec; /approval takes only
    /// the new conditions. Condition times left empty are defaulted as the strategy does.
    /// </summary>
    public static JsonObject PrepareForUpdate(Subresource sub, JsonObject incoming, JsonObject old, string now)
    {
        JsonObject next;
        switch (sub)
        {
            case Subresource.Approval:
                next = (JsonObject)old.DeepClone();
                var status = next["status"] as JsonObject ?? new JsonObject();
                next["status"] = status;
                status["conditions"] = ((incoming["status"] as JsonObject)?["conditions"])?.DeepClone();
                if (status["conditions"] is null) status.Remove("conditions");
                ObjectMetaAccess.Metadata(next)["resourceVersion"] = ObjectMetaAccess.Metadata(incoming)["resourceVersion"]?.DeepClone();
                break;
            case Subresource.Status:
                next = incoming;
                next["spec"] = old["spec"]?.DeepClone();
                break;
            default:
                next = incoming;
                next["spec"] = old["spec"]?.DeepClone();
                if (old["status"] is { } s) next["status"] = s.DeepClone(); else next.Remove("status");
                break;
        }
        var oldConditions = ((old["status"] as JsonObject)?["conditions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        foreach (var c in ((next["status"] as JsonObject)?["conditions"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var before = oldConditions.FirstOrDefault(o => (string?)o["type"] == (string?)c["type"]);
            if (string.IsNullOrEmpty((string?)c["lastUpdateTime"])) c["lastUpdateTime"] = now;
            if (string.IsNullOrEmpty((string?)c["lastTransitionTime"]))
                c["lastTransitionTime"] = before is not null && (string?)before["status"] == (string?)c["status"] && before["lastTransitionTime"] is { } t
                    ? t.DeepClone() : now;
        }
        return next;
    }

    public static void Validate(JsonObject obj, JsonObject? old, Subresource sub)
    {
        var causes = new List<StatusCause>();
        var spec = obj["spec"] as JsonObject;
        // Spec problems can only be created, never introduced by an update (the spec is copied from the old object).
        if (old is null) ValidateSpec(spec, causes);
        var conditions = ((obj["status"] as JsonObject)?["conditions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var seen = new HashSet<string>();
        for (var i = 0; i < conditions.Count; i++)
        {
            var type = (string?)conditions[i]["type"] ?? "";
            var status = (string?)conditions[i]["status"] ?? "";
            if (type.Length == 0) causes.Add(new("FieldValueRequired", "Required value", $"status.conditions[{i}].type"));
            if (status.Length == 0) causes.Add(new("FieldValueRequired", "Required value", $"status.conditions[{i}].status"));
            else if (TrueOnlyTypes.Contains(type) && status != "True")
                causes.Add(new("FieldValueNotSupported", $"Unsupported value: \"{status}\": supported values: \"True\"", $"status.conditions[{i}].status"));
            else if (status is not ("True" or "False" or "Unknown"))
                causes.Add(new("FieldValueNotSupported", $"Unsupported value: \"{status}\": supported values: \"False\", \"True\", \"Unknown\"", $"status.conditions[{i}].status"));
            if (type is "Approved" or "Denied" && seen.Contains(type == "Approved" ? "Denied" : "Approved"))
                causes.Add(new("FieldValueInvalid", $"Invalid value: \"{type}\": Approved and Denied conditions are mutually exclusive", $"status.conditions[{i}].type"));
            if (type.Length > 0 && !seen.Add(type)) causes.Add(new("FieldValueDuplicate", $"Duplicate value: \"{type}\"", $"status.conditions[{i}].type"));
        }
        var certificate = (string?)(obj["status"] as JsonObject)?["certificate"];
        var oldCertificate = (string?)(old?["status"] as JsonObject)?["certificate"];
        if (certificate != oldCertificate && CertificateProblem(certificate) is { } problem)
            causes.Add(new("FieldValueInvalid", $"Invalid value: \"<certificate data>\": {problem}", "status.certificate"));
        if (old is not null)
        {
            var oldConditions = ((old["status"] as JsonObject)?["conditions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            foreach (var t in TrueOnlyTypes)
            {
                var before = oldConditions.Where(c => (string?)c["type"] == t).ToList();
                var after = conditions.Where(c => (string?)c["type"] == t).ToList();
                if (after.Count < before.Count)
                    causes.Add(new("FieldValueForbidden", $"Forbidden: updates may not remove a condition of type \"{t}\"", "status.conditions"));
                else if (sub != Subresource.Approval && t != "Failed")
                {
                    if (after.Count > before.Count)
                        causes.Add(new("FieldValueForbidden", $"Forbidden: updates may not add a condition of type \"{t}\"", "status.conditions"));
                    else if (!before.Zip(after).All(p => JsonNode.DeepEquals(p.First, p.Second)))
                        causes.Add(new("FieldValueForbidden", $"Forbidden: updates may not modify a condition of type \"{t}\"", "status.conditions"));
                }
            }
            if (certificate != oldCertificate)
            {
                if (sub != Subresource.Status) causes.Add(new("FieldValueForbidden", "Forbidden: updates may not set certificate content", "status.certificate"));
                else if (!string.IsNullOrEmpty(oldCertificate)) causes.Add(new("FieldValueForbidden", "Forbidden: updates may not modify existing certificate content", "status.certificate"));
            }
        }
        if (causes.Count > 0) throw new KubeApiException(ApiStatus.Invalid(Kind, Group, ObjectMetaAccess.Name(obj) ?? "", causes));
    }

    private static void ValidateSpec(JsonObject? spec, List<StatusCause> causes)
    {
        if (RequestProblem((string?)spec?["request"]) is { } problem)
            causes.Add(new("FieldValueInvalid", $"Invalid value: []byte{{...}}: {problem}", "spec.request"));
        var usages = (spec?["usages"] as JsonArray)?.Select(u => (string?)u ?? "").ToList() ?? [];
        if (usages.Count == 0) causes.Add(new("FieldValueRequired", "Required value", "spec.usages"));
        var seenUsages = new HashSet<string>();
        for (var i = 0; i < usages.Count; i++)
        {
            if (!Usages.Contains(usages[i]))
                causes.Add(new("FieldValueNotSupported", $"Unsupported value: \"{usages[i]}\": supported values: {string.Join(", ", Usages.Order(StringComparer.Ordinal).Select(u => $"\"{u}\""))}", $"spec.usages[{i}]"));
            if (!seenUsages.Add(usages[i])) causes.Add(new("FieldValueDuplicate", $"Duplicate value: \"{usages[i]}\"", $"spec.usages[{i}]"));
        }
        var signer = (string?)spec?["signerName"] ?? "";
        if (signer.Length == 0) causes.Add(new("FieldValueRequired", "Required value", "spec.signerName"));
        else if (signer == "kubernetes.io/legacy-unknown")
            causes.Add(new("FieldValueInvalid", $"Invalid value: \"{signer}\": the legacy signerName is not allowed via this API version", "spec.signerName"));
        else if (SignerNameProblem(signer) is { } signerProblem)
            causes.Add(new("FieldValueInvalid", $"Invalid value: \"{signer}\": {signerProblem}", "spec.signerName"));
        if (spec?["expirationSeconds"] is JsonValue ev && ev.TryGetValue<long>(out var seconds) && seconds < 600)
            causes.Add(new("FieldValueInvalid", $"Invalid value: {seconds}: may not specify a duration less than 600 seconds (10 minutes)", "spec.expirationSeconds"));
    }

    /// <summary>pkg/apis/core/validation ValidateSignerName: a DNS subdomain, a slash, then a path segment.</summary>
    private static string? SignerNameProblem(string signer)
    {
        var slash = signer.IndexOf('/');
        if (slash <= 0 || slash == signer.Length - 1)
            return "must be a fully qualified domain and path of the form 'example.com/signer-name'";
        var domain = signer[..slash];
        if (domain.Length > 253 || !Subdomain().IsMatch(domain) || !domain.Contains('.'))
            return "must be a fully qualified domain and path of the form 'example.com/signer-name'";
        return null;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    /// <summary>certificates.ParseCSR then CheckSignature: one PEM "CERTIFICATE REQUEST" block with a valid self-signature.</summary>
    private static string? RequestProblem(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return "PEM block type must be CERTIFICATE REQUEST";
        string pem;
        try { pem = Encoding.ASCII.GetString(Convert.FromBase64String(base64)); }
        catch (FormatException) { return "PEM block type must be CERTIFICATE REQUEST"; }
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] != "CERTIFICATE REQUEST") return "PEM block type must be CERTIFICATE REQUEST";
        try
        {
            var der = Convert.FromBase64String(pem[fields.Base64Data]);
            // LoadSigningRequest checks the self-signature unless told not to.
            _ = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, out _, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            return null;
        }
        catch (CryptographicException) { return "x509: invalid signature or malformed certificate request"; }
        catch (FormatException) { return "x509: malformed certificate request"; }
    }

    /// <summary>validateCertificate: one or more PEM "CERTIFICATE" blocks without headers, each a parseable certificate.</summary>
    private static string? CertificateProblem(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return null;
        string pem;
        try { pem = Encoding.ASCII.GetString(Convert.FromBase64String(base64)); }
        catch (FormatException) { return "must contain at least one CERTIFICATE PEM block"; }
        var blocks = 0;
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            if (label != "CERTIFICATE") return $"only CERTIFICATE PEM blocks are allowed, found \"{label}\"";
            try { using var _ = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString())); }
            catch (CryptographicException) { return "x509: malformed certificate"; }
            blocks++;
            rest = rest[fields.Location.End..];
        }
        return blocks == 0 ? "must contain at least one CERTIFICATE PEM block" : null;
    }
}
