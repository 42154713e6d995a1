using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DematOperator.Kube.Api;

/// <summary>One cause of a 422 Invalid answer (metav1.StatusCause).</summary>
public sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>
/// The metav1.Status object that the API server answers with on every failure.
/// Reasons and codes follow apimachinery's StatusReason list so that clients can branch on them.
/// </summary>
public sealed record ApiStatus(
    int Code,
    string Reason,
    string Message,
    string? Name = null,
    string? Group = null,
    string? Kind = null,
    IReadOnlyList<StatusCause>? Causes = null,
    int? RetryAfterSeconds = null,
    string StatusText = "Failure")
{
    public const string ReasonNotFound = "NotFound";
    public const string ReasonAlreadyExists = "AlreadyExists";
    public const string ReasonConflict = "Conflict";
    public const string ReasonInvalid = "Invalid";
    public const string ReasonBadRequest = "BadRequest";
    public const string ReasonUnauthorized = "Unauthorized";
    public const string ReasonForbidden = "Forbidden";
    public const string ReasonMethodNotAllowed = "MethodNotAllowed";
    public const string ReasonGone = "Gone";
    public const string ReasonExpired = "Expired";
    public const string ReasonTooManyRequests = "TooManyRequests";
    public const string ReasonTimeout = "Timeout";
    public const string ReasonInternalError = "InternalError";
    public const string ReasonServiceUnavailable = "ServiceUnavailable";
    public const string ReasonUnsupportedMediaType = "UnsupportedMediaType";
    public const string ReasonNotAcceptable = "NotAcceptable";

    public static ApiStatus NotFound(string resource, string group, string name) =>
        new(404, ReasonNotFound, $"{Qualified(resource, group)} \"{name}\" not found", name, group, resource);

    public static ApiStatus AlreadyExists(string resource, string group, string name) =>
        new(409, ReasonAlreadyExists, $"{Qualified(resource, group)} \"{name}\" already exists", name, group, resource);

    /// <summary>The optimistic-lock message of the generic registry store, word for word.</summary>
    public static ApiStatus Conflict(string resource, string group, string name) =>
        new(409, ReasonConflict,
            $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            name, group, resource);

    public static ApiStatus Invalid(string kind, string group, string name, IReadOnlyList<StatusCause> causes)
    {
        var detail = string.Join(", ", causes.Select(c => string.IsNullOrEmpty(c.Field) ? c.Message : $"{c.Field}: {c.Message}"));
        var gk = string.IsNullOrEmpty(group) ? kind : $"{kind}.{group}";
        var message = causes.Count == 1 ? $"{gk} \"{name}\" is invalid: {detail}" : $"{gk} \"{name}\" is invalid: [{detail}]";
        return new(422, ReasonInvalid, message, name, group, kind, causes);
    }

    public static ApiStatus BadRequest(string message) => new(400, ReasonBadRequest, message);
    public static ApiStatus Expired(string message) => new(410, ReasonExpired, message);
    public static ApiStatus Gone(string message) => new(410, ReasonGone, message);
    public static ApiStatus Internal(string message) => new(500, ReasonInternalError, message);
    public static ApiStatus MethodNotAllowed(string message) => new(405, ReasonMethodNotAllowed, message);
    public static ApiStatus UnsupportedMediaType(string contentType) =>
        new(415, ReasonUnsupportedMediaType, $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {contentType}");

    public static ApiStatus Forbidden(string user, string verb, string resource, string group, string? name, string? ns)
    {
        var what = string.IsNullOrEmpty(group) ? $"resource \"{resource}\" in API group \"\"" : $"resource \"{resource}\" in API group \"{group}\"";
        var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        var target = name is null ? "" : $"{Qualified(resource, group)} \"{name}\" is forbidden: ";
        var prefix = name is null ? $"{Qualified(resource, group)} is forbidden: " : target;
        return new(403, ReasonForbidden, $"{prefix}User \"{user}\" cannot {verb} {what} {scope}", name, group, resource);
    }

    public static string Qualified(string resource, string group) =>
        string.IsNullOrEmpty(group) ? resource : $"{resource}.{group}";

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = StatusText,
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Name is not null || Kind is not null || Causes is { Count: > 0 } || RetryAfterSeconds is not null)
        {
            var details = new JsonObject();
            if (Name is not null) details["name"] = Name;
            if (!string.IsNullOrEmpty(Group)) details["group"] = Group;
            if (Kind is not null) details["kind"] = Kind;
            if (Causes is { Count: > 0 })
                details["causes"] = new JsonArray(Causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason, ["message"] = c.Message, ["field"] = c.Field,
                }).ToArray());
            if (RetryAfterSeconds is { } r) details["retryAfterSeconds"] = r;
            o["details"] = details;
        }
        o["code"] = Code;
        if (StatusText == "Success") { o.Remove("reason"); o.Remove("message"); }
        return o;
    }

    public static ApiStatus? FromJson(JsonNode? node, int fallbackCode)
    {
        if (node is not JsonObject o || (string?)o["kind"] != "Status") return null;
        var details = o["details"] as JsonObject;
        var causes = (details?["causes"] as JsonArray)?.OfType<JsonObject>()
            .Select(c => new StatusCause((string?)c["reason"] ?? "", (string?)c["message"] ?? "", (string?)c["field"] ?? ""))
            .ToList();
        return new ApiStatus(
            (int?)o["code"] ?? fallbackCode,
            (string?)o["reason"] ?? "",
            (string?)o["message"] ?? "",
            (string?)details?["name"],
            (string?)details?["group"],
            (string?)details?["kind"],
            causes,
            (int?)details?["retryAfterSeconds"],
            (string?)o["status"] ?? "Failure");
    }
}

/// <summary>An API call that the server answered with a Status failure.</summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException(ApiStatus status) : base($"{status.Code} {status.Reason}: {status.Message}") => Status = status;

    public ApiStatus Status { get; }
    public int Code => Status.Code;
    public bool IsNotFound => Status.Reason == ApiStatus.ReasonNotFound && Code == 404;
    public bool IsConflict => Status.Reason == ApiStatus.ReasonConflict;
    public bool IsAlreadyExists => Status.Reason == ApiStatus.ReasonAlreadyExists;
    public bool IsGoneOrExpired => Code == 410 || Status.Reason is ApiStatus.ReasonExpired or ApiStatus.ReasonGone;
    public bool IsInvalid => Code == 422;
    /// <summary>Failures that a later identical request may not meet: throttling and server-side trouble.</summary>
    public bool IsTransient => Code is 429 or 500 or 502 or 503 or 504;
}
