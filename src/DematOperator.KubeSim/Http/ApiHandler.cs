using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Security;
using DematOperator.KubeSim.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DematOperator.KubeSim.Http;

/// <summary>Serves one emulated cluster's REST API: discovery, CRUD, patch, watch, tables, RBAC checks.</summary>
public sealed partial class ApiHandler(SimCluster cluster)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        // As kube-apiserver's cache-control filter: every answer is private and must be revalidated. Without it
        // kubectl's HTTP cache judges freshness from the Date header alone, and a server whose clock is ahead of
        // kubectl's (the suite under faketime) had its discovery answers reused forever, new CRDs unseen.
        http.Response.Headers.CacheControl = "no-cache, private";
        try
        {
            await cluster.Faults.Delay(http.RequestAborted);
            var user = Authenticate(http);
            if (user is null)
            {
                await WriteStatus(http, new ApiStatus(401, ApiStatus.ReasonUnauthorized, "Unauthorized"));
                return;
            }
            var request = ApiRequest.Parse(path);
            if (request?.Resource is null)
            {
                await HandleNonResource(http, user, path, request);
                return;
            }
            await HandleResource(http, user, request);
        }
        catch (KubeApiException e)
        {
            await WriteStatus(http, e.Status);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (JsonException e)
        {
            await WriteStatus(http, ApiStatus.BadRequest($"the object provided is unrecognized or malformed: {e.Message}"));
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            await WriteStatus(http, ApiStatus.Internal(e.Message));
        }
    }

    private UserInfo? Authenticate(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var user = cluster.Auth.Authenticate(token);
        // kube-apiserver's x509 authenticator: a client certificate the TLS layer accepted (signed by the
        // cluster CA) names the user in its CN and the groups in its O values.
        if (user is null && token is null && http.Connection.ClientCertificate is { } cert)
            user = new UserInfo(cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false),
                [.. cert.SubjectName.EnumerateRelativeDistinguishedNames().Where(r => r.GetSingleElementType().Value == "2.5.4.10").Select(r => r.GetSingleElementValue() ?? ""), "system:authenticated"]);
        if (user is null && !cluster.Auth.Required && string.IsNullOrEmpty(token))
            return new UserInfo("system:anonymous", ["system:masters", "system:unauthenticated"]);
        return user;
    }

    // ---------------------------------------------------------------- non-resource paths

    private async Task HandleNonResource(HttpContext http, UserInfo user, string path, ApiRequest? request)
    {
        if (!RbacAuthorizer.Authorize(cluster, user, new AuthorizationRequest("get", "", "", null, null, null, path)))
        {
            await WriteStatus(http, new ApiStatus(403, ApiStatus.ReasonForbidden, $"forbidden: User \"{user.Name}\" cannot get path \"{path}\""));
            return;
        }
        var registry = cluster.Registry.All;
        switch (path.TrimEnd('/'))
        {
            case "/version":
                var v = cluster.Options.KubernetesVersion.TrimStart('v').Split('.');
                await WriteJson(http, 200, new JsonObject
                {
                    ["major"] = v[0], ["minor"] = v.Length > 1 ? v[1] : "0", ["gitVersion"] = cluster.Options.KubernetesVersion,
                    ["gitCommit"] = "kube-sim", ["gitTreeState"] = "clean", ["buildDate"] = "2026-01-01T00:00:00Z",
                    ["goVersion"] = "n/a", ["compiler"] = "dotnet", ["platform"] = "linux/amd64",
                });
                return;
            case "/healthz" or "/readyz" or "/livez":
                http.Response.ContentType = "text/plain";
                await http.Response.WriteAsync("ok");
                return;
            case "/api":
                await WriteJson(http, 200, new JsonObject
                {
                    ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = http.Request.Host.Value }),
                });
                return;
            case "/apis":
                await WriteJson(http, 200, new JsonObject
                {
                    ["kind"] = "APIGroupList", ["apiVersion"] = "v1",
                    ["groups"] = new JsonArray([.. registry.Where(d => d.Group.Length > 0).GroupBy(d => d.Group).Select(g => (JsonNode)GroupJson(g.Key, g))]),
                });
                return;
        }
        if (path.StartsWith("/openapi/", StringComparison.Ordinal))
        {
            await OpenApi.Serve(http, cluster);
            return;
        }
        if (request is not null)
        {
            var defs = registry.Where(d => d.Group == request.Group && (request.Version == "" || d.Version == request.Version)).ToList();
            if (request.Group.Length > 0 && path.Trim('/').Split('/').Length == 2)
            {
                if (defs.Count == 0) { await WriteNotFoundPage(http); return; }
                await WriteJson(http, 200, GroupJson(request.Group, defs, includeKind: true));
                return;
            }
            if (defs.Count == 0) { await WriteNotFoundPage(http); return; }
            await WriteJson(http, 200, new JsonObject
            {
                ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = defs[0].GroupVersion,
                ["resources"] = new JsonArray([.. defs.SelectMany(ResourceJson)]),
            });
            return;
        }
        await WriteNotFoundPage(http);
    }

    private static JsonObject GroupJson(string group, IEnumerable<ResourceDefinition> defs, bool includeKind = false)
    {
        var versions = defs.Select(d => d.Version).Distinct().OrderByDescending(VersionPriority).ToList();
        var o = new JsonObject();
        if (includeKind) { o["kind"] = "APIGroup"; o["apiVersion"] = "v1"; }
        o["name"] = group;
        o["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v })]);
        o["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] };
        return o;
    }

    /// <summary>Kubernetes version priority: GA over beta over alpha, higher numbers first.</summary>
    private static int VersionPriority(string v)
    {
        var m = System.Text.RegularExpressions.Regex.Match(v, @"^v(\d+)(?:(alpha|beta)(\d+))?$");
        if (!m.Success) return 0;
        var major = int.Parse(m.Groups[1].Value);
        var stage = m.Groups[2].Value switch { "" => 3, "beta" => 2, _ => 1 };
        var minor = m.Groups[3].Success ? int.Parse(m.Groups[3].Value) : 0;
        return stage * 1_000_000 + major * 1000 + minor;
    }

    private static IEnumerable<JsonNode> ResourceJson(ResourceDefinition d)
    {
        var main = new JsonObject
        {
            ["name"] = d.Plural, ["singularName"] = d.Singular, ["namespaced"] = d.Namespaced, ["kind"] = d.Kind,
            ["verbs"] = new JsonArray([.. d.Verbs.Select(v => (JsonNode)JsonValue.Create(v)!)]),
        };
        if (d.ShortNames.Count > 0) main["shortNames"] = new JsonArray([.. d.ShortNames.Select(v => (JsonNode)JsonValue.Create(v)!)]);
        if (d.Categories.Count > 0) main["categories"] = new JsonArray([.. d.Categories.Select(v => (JsonNode)JsonValue.Create(v)!)]);
        main["storageVersionHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(d.StorageKey)))[..11];
        yield return main;
        if (d.HasStatus)
            yield return new JsonObject
            {
                ["name"] = d.Plural + "/status", ["singularName"] = "", ["namespaced"] = d.Namespaced, ["kind"] = d.Kind,
                ["verbs"] = new JsonArray("get", "patch", "update"),
            };
        if (d.HasApproval)
            yield return new JsonObject
            {
                ["name"] = d.Plural + "/approval", ["singularName"] = "", ["namespaced"] = d.Namespaced, ["kind"] = d.Kind,
                ["verbs"] = new JsonArray("get", "patch", "update"),
            };
        if (d.Scale is not null)
            yield return new JsonObject
            {
                ["name"] = d.Plural + "/scale", ["singularName"] = "", ["namespaced"] = d.Namespaced, ["group"] = "autoscaling",
                ["version"] = "v1", ["kind"] = "Scale", ["verbs"] = new JsonArray("get", "patch", "update"),
            };
    }

    // ---------------------------------------------------------------- resources

    private async Task HandleResource(HttpContext http, UserInfo user, ApiRequest request)
    {
        var def = cluster.Registry.Find(request.Group, request.Version, request.Resource!);
        if (def is null) { await WriteNotFoundPage(http); return; }
        if (!def.Namespaced && request.Namespace is not null) { await WriteNotFoundPage(http); return; }
        var query = http.Request.Query;
        var method = http.Request.Method;
        var isWatch = query["watch"] is var w && (w == "true" || w == "1");
        var verb = method switch
        {
            "GET" when isWatch => "watch",
            "GET" when request.Name is null => "list",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when request.Name is null => "deletecollection",
            "DELETE" => "delete",
            _ => throw new KubeApiException(ApiStatus.MethodNotAllowed($"the server does not allow this method on the requested resource")),
        };
        var subresource = request.Subresource;
        if (def.StorageKey == BuiltinKeys.Pods && subresource == "exec" && request.Name is not null)
        {
            await HandleExec(http, user, request);
            return;
        }
        if (subresource is not null && !(subresource == "status" && def.HasStatus) && !(subresource == "scale" && def.Scale is not null)
            && !(subresource == "finalize" && def.StorageKey == BuiltinKeys.Namespaces) && !(subresource == "approval" && def.HasApproval))
        {
            await WriteNotFoundPage(http);
            return;
        }
        cluster.Requests.Add(verb, subresource is null ? def.GroupResource : $"{def.GroupResource}/{subresource}");
        if (cluster.Faults.NextError(verb, def.Plural, def.Group, request.Name, subresource) is { } injected)
        {
            if (injected.RetryAfterSeconds is { } ra) http.Response.Headers.RetryAfter = ra.ToString();
            await WriteStatus(http, injected);
            return;
        }
        if (!RbacAuthorizer.Authorize(cluster, user, new AuthorizationRequest(verb, def.Group, def.Plural, subresource, request.Namespace, request.Name)))
        {
            var status = ApiStatus.Forbidden(user.Name, verb, subresource is null ? def.Plural : $"{def.Plural}/{subresource}", def.Group, request.Name, request.Namespace);
            await WriteStatus(http, status);
            return;
        }
        if (def.IsVirtual)
        {
            await HandleVirtual(http, user, def);
            return;
        }
        var fieldValidation = (string?)query["fieldValidation"];
        if (fieldValidation is not (null or "" or "Ignore" or "Warn" or "Strict"))
            throw new KubeApiException(ApiStatus.BadRequest($"fieldValidation parameter unsupported: {fieldValidation}"));
        var fieldManager = (string?)query["fieldManager"];
        var userAgent = http.Request.Headers.UserAgent.ToString();
        var ctx = new RequestContext(user.Name, DryRun: query["dryRun"] == "All", FieldManager: string.IsNullOrEmpty(fieldManager) ? null : fieldManager,
            FieldValidation: string.IsNullOrEmpty(fieldValidation) ? null : fieldValidation)
        {
            UserAgentManager = userAgent.Length == 0 ? null : userAgent.Split('/')[0],
            Force = query["force"] == "true",
        };
        http.Response.OnStarting(() =>
        {
            foreach (var warning in ctx.Warnings.Distinct())
                http.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"")}\"");
            return Task.CompletedTask;
        });
        if (query["dryRun"] is { Count: > 0 } dr && dr != "All")
            throw new KubeApiException(ApiStatus.BadRequest($"Invalid dryRun value: {dr}. Only \"All\" is supported"));
        var sub = subresource switch { "status" => Subresource.Status, "scale" => Subresource.Scale, "approval" => Subresource.Approval, _ => Subresource.None };
        switch (verb)
        {
            case "watch":
                await Watch(http, def, request.Namespace, request.Name);
                return;
            case "list":
                await List(http, def, request.Namespace);
                return;
            case "get":
                var got = cluster.Get(def, request.Namespace, request.Name!);
                if (sub == Subresource.Scale) { await WriteJson(http, 200, cluster.ScaleOf(def, got.Parse())); return; }
                if (WantsTable(http)) { await WriteJson(http, 200, TableRenderer.Render(def, [Render(def, got)], got.ResourceVersion.ToString(), null, cluster.Time.GetUtcNow(), include: IncludeObjectOf(http))); return; }
                await WriteObject(http, 200, def, got);
                return;
            case "create":
                var body = await ReadObject(http);
                if (request.Name is not null)
                    throw new KubeApiException(ApiStatus.MethodNotAllowed("the server does not allow this method on the requested resource"));
                var created = cluster.Create(ctx, def, request.Namespace, body);
                await WriteObject(http, 201, def, created);
                return;
            case "update":
                var updateBody = await ReadObject(http);
                var updated = sub == Subresource.None && def.StorageKey == BuiltinKeys.Namespaces && subresource == "finalize"
                    ? FinalizeNamespace(ctx, def, request.Name!, updateBody)
                    : cluster.Update(ctx, def, request.Namespace, request.Name!, updateBody, sub);
                if (sub == Subresource.Scale) { await WriteJson(http, 200, cluster.ScaleOf(def, updated.Parse())); return; }
                await WriteObject(http, 200, def, updated);
                return;
            case "patch":
                var text = await ReadBody(http);
                var patched = cluster.Patch(ctx, def, request.Namespace, request.Name!, http.Request.ContentType ?? "", text, sub);
                if (sub == Subresource.Scale) { await WriteJson(http, 200, cluster.ScaleOf(def, patched.Parse())); return; }
                await WriteObject(http, ctx.Created ? 201 : 200, def, patched);
                return;
            case "delete":
                var options = await ReadDeleteOptions(http);
                var (obj, removed) = cluster.Delete(ctx, def, request.Namespace, request.Name!, options);
                if (removed && !def.ReturnsDeletedObject)
                {
                    await WriteJson(http, 200, DeletedStatus(def, obj));
                    return;
                }
                await WriteObject(http, 200, def, obj);
                return;
            case "deletecollection":
                var deleteOptions = await ReadDeleteOptions(http);
                var listOptions = ParseListOptions(http, def);
                var deleted = new List<StoredObject>();
                foreach (var item in cluster.List(def, request.Namespace, listOptions with { Limit = 0, Continue = null }).Items)
                {
                    try { deleted.Add(cluster.Delete(ctx, def, item.Namespace.Length == 0 ? null : item.Namespace, item.Name, deleteOptions).Object); }
                    catch (KubeApiException e) when (e.IsNotFound) { }
                }
                await WriteList(http, def, deleted, cluster.CurrentResourceVersion, null, null);
                return;
        }
    }

    /// <summary>finalizeDelete's answer: details name the object, the group, the resource (as Kind) and the uid.</summary>
    private static JsonObject DeletedStatus(ResourceDefinition def, StoredObject removed)
    {
        var status = new ApiStatus(200, "", "", removed.Name, def.Group, def.Plural, StatusText: "Success").ToJson();
        if (status["details"] is JsonObject details) details["uid"] = removed.Uid;
        // metav1.Status{Status: Success, Details: …}: code, reason and message are unset, so omitted.
        foreach (var unset in new[] { "code", "reason", "message" }) status.Remove(unset);
        return status;
    }

    private StoredObject FinalizeNamespace(RequestContext ctx, ResourceDefinition def, string name, JsonObject body)
    {
        var current = cluster.Get(def, null, name).Parse();
        current["spec"] = body["spec"]?.DeepClone() ?? new JsonObject();
        return cluster.UpdateNamespaceSpec(ctx, def, name, current);
    }

    private async Task List(HttpContext http, ResourceDefinition def, string? ns)
    {
        var options = ParseListOptions(http, def);
        var result = cluster.List(def, ns, options);
        if (WantsTable(http))
        {
            await WriteJson(http, 200, TableRenderer.Render(def, result.Items.Select(i => Render(def, i)), result.ResourceVersion.ToString(), result.Continue, cluster.Time.GetUtcNow(), include: IncludeObjectOf(http)));
            return;
        }
        await WriteList(http, def, result.Items, result.ResourceVersion, result.Continue, result.RemainingItemCount);
    }

    private static ListOptions ParseListOptions(HttpContext http, ResourceDefinition def)
    {
        var q = http.Request.Query;
        LabelQuery labels;
        FieldSelector fields;
        try { labels = LabelQuery.Parse(q["labelSelector"]); }
        catch (FormatException e) { throw new KubeApiException(ApiStatus.BadRequest($"unable to parse requirement: {e.Message}")); }
        try { fields = FieldSelector.Parse(q["fieldSelector"], Strategies.SelectableFields(def)); }
        catch (NotSupportedException e) { throw new KubeApiException(ApiStatus.BadRequest(e.Message)); }
        catch (FormatException e) { throw new KubeApiException(ApiStatus.BadRequest(e.Message)); }
        var limit = int.TryParse(q["limit"], out var l) ? l : 0;
        return new ListOptions(labels, fields, limit, q["continue"], q["resourceVersion"], q["resourceVersionMatch"]);
    }

    private async Task Watch(HttpContext http, ResourceDefinition def, string? ns, string? name)
    {
        var q = http.Request.Query;
        var options = ParseListOptions(http, def);
        var fields = options.Fields;
        if (name is not null) fields = FieldSelector.Parse($"metadata.name={name}");
        var sendInitial = q["sendInitialEvents"] == "true";
        var allowBookmarks = q["allowWatchBookmarks"] == "true";
        if (sendInitial && (q["resourceVersionMatch"] != "NotOlderThan" || !allowBookmarks))
            throw new KubeApiException(ApiStatus.Invalid("ListOptions", "meta.k8s.io", "", [new StatusCause("FieldValueForbidden",
                "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and allowWatchBookmarks to true", "sendInitialEvents")]));
        var timeout = int.TryParse(q["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        using var sub = cluster.Watch(def, ns, new WatchOptions(options.Labels, fields, q["resourceVersion"], allowBookmarks, sendInitial));
        var table = WantsTable(http);
        var include = IncludeObjectOf(http);
        http.Response.StatusCode = 200;
        http.Response.ContentType = table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await http.Response.StartAsync(http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var faults = cluster.Faults;
        var endAt = cluster.Time.GetUtcNow() + timeout;
        if (faults.DropWatchesAfter is { } dropAfter && cluster.Time.GetUtcNow() + dropAfter < endAt) endAt = cluster.Time.GetUtcNow() + dropAfter;
        var dropAfterEvents = faults.DropWatchesAfterEvents;
        var nextBookmark = cluster.Time.GetUtcNow() + cluster.Options.BookmarkInterval;
        var sent = 0;
        var firstTable = true;
        try
        {
            while (!lifetime.IsCancellationRequested)
            {
                var now = cluster.Time.GetUtcNow();
                // A cut stream ends like a closed connection: an abort (RST) would also discard events already sent.
                if (now >= endAt) return;
                if (allowBookmarks && now >= nextBookmark)
                {
                    cluster.Bookmark(sub);
                    nextBookmark = now + cluster.Options.BookmarkInterval;
                }
                var wait = Min(endAt - now, allowBookmarks ? nextBookmark - now : TimeSpan.MaxValue, TimeSpan.FromMilliseconds(250));
                using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
                waitCts.CancelAfter(wait);
                bool more;
                try { more = await sub.Reader.WaitToReadAsync(waitCts.Token); }
                catch (OperationCanceledException) when (!lifetime.IsCancellationRequested) { continue; }
                if (!more) return;
                while (sub.Reader.TryRead(out var message))
                {
                    await WriteWatchEvent(http, def, message, table, firstTable, include);
                    if (message.Kind != WatchMessageKind.Bookmark) firstTable = false;
                    if (message.Kind == WatchMessageKind.Error) return;
                    sent++;
                    if (dropAfterEvents is { } n && sent >= n)
                    {
                        await http.Response.Body.FlushAsync(lifetime.Token);
                        return;
                    }
                }
                await http.Response.Body.FlushAsync(lifetime.Token);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
    }

    private static TimeSpan Min(params TimeSpan[] values) => values.Min() is var m && m < TimeSpan.Zero ? TimeSpan.Zero : values.Min();

    private async Task WriteWatchEvent(HttpContext http, ResourceDefinition def, WatchMessage message, bool table, bool firstTable, IncludeObject include)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", message.Kind switch
            {
                WatchMessageKind.Added => "ADDED", WatchMessageKind.Modified => "MODIFIED", WatchMessageKind.Deleted => "DELETED",
                WatchMessageKind.Bookmark => "BOOKMARK", _ => "ERROR",
            });
            writer.WritePropertyName("object");
            switch (message.Kind)
            {
                case WatchMessageKind.Error:
                    message.Error!.ToJson().WriteTo(writer);
                    break;
                case WatchMessageKind.Bookmark:
                    var meta = new JsonObject { ["resourceVersion"] = message.ResourceVersion.ToString() };
                    if (message.InitialEventsEnd) meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
                    new JsonObject { ["kind"] = def.Kind, ["apiVersion"] = def.GroupVersion, ["metadata"] = meta }.WriteTo(writer);
                    break;
                default:
                    if (table) TableRenderer.Render(def, [Render(def, message.Object!)], message.ResourceVersion.ToString(), null, cluster.Time.GetUtcNow(), includeColumns: firstTable, include: include).WriteTo(writer);
                    else if (def.IsStorageVersion || !def.IsCustom) writer.WriteRawValue(message.Object!.Json, skipInputValidation: true);
                    else Render(def, message.Object!).WriteTo(writer);
                    break;
            }
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    // ---------------------------------------------------------------- authorization reviews

    private async Task HandleVirtual(HttpContext http, UserInfo user, ResourceDefinition def)
    {
        var body = await ReadObject(http);
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        if (def.Kind == "SelfSubjectAccessReview")
        {
            var ra = spec["resourceAttributes"] as JsonObject;
            var nra = spec["nonResourceAttributes"] as JsonObject;
            var allowed = ra is not null
                ? RbacAuthorizer.Authorize(cluster, user, new AuthorizationRequest((string?)ra["verb"] ?? "", (string?)ra["group"] ?? "",
                    (string?)ra["resource"] ?? "", string.IsNullOrEmpty((string?)ra["subresource"]) ? null : (string?)ra["subresource"],
                    string.IsNullOrEmpty((string?)ra["namespace"]) ? null : (string?)ra["namespace"], string.IsNullOrEmpty((string?)ra["name"]) ? null : (string?)ra["name"]))
                : nra is not null && RbacAuthorizer.Authorize(cluster, user, new AuthorizationRequest((string?)nra["verb"] ?? "", "", "", null, null, null, (string?)nra["path"] ?? "/"));
            body["status"] = new JsonObject { ["allowed"] = allowed, ["reason"] = allowed ? "allowed by RBAC" : "" };
            if (!allowed) body["status"]!["denied"] = false;
            await WriteJson(http, 201, body);
            return;
        }
        var ns = (string?)spec["namespace"];
        var rules = user.IsMaster || !cluster.Options.RbacEnabled
            ? [new JsonObject { ["verbs"] = new JsonArray("*"), ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*") }]
            : RbacAuthorizer.RulesFor(cluster, user, ns).ToList();
        body["status"] = new JsonObject
        {
            ["resourceRules"] = new JsonArray([.. rules.Where(r => r["nonResourceURLs"] is null).Select(r => (JsonNode)r.DeepClone())]),
            ["nonResourceRules"] = new JsonArray([.. rules.Where(r => r["nonResourceURLs"] is not null).Select(r => (JsonNode)r.DeepClone())]),
            ["incomplete"] = false,
        };
        await WriteJson(http, 201, body);
    }

    // ---------------------------------------------------------------- encoding

    private static IncludeObject IncludeObjectOf(HttpContext http) => TableRenderer.ParseIncludeObject(http.Request.Query["includeObject"]);

    private static bool WantsTable(HttpContext http) => http.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    /// <summary>Objects are stored in the storage version; other served versions are converted with strategy None.</summary>
    private static JsonObject Render(ResourceDefinition def, StoredObject o)
    {
        var obj = o.Parse();
        obj["apiVersion"] = def.GroupVersion;
        return obj;
    }

    private static async Task<JsonObject> ReadObject(HttpContext http)
    {
        var text = await ReadBody(http);
        JsonNode? node;
        try { node = JsonNode.Parse(text); }
        catch (JsonException e) { throw new KubeApiException(ApiStatus.BadRequest($"the object provided is unrecognized or malformed: {e.Message}")); }
        return node as JsonObject ?? throw new KubeApiException(ApiStatus.BadRequest("the object provided is not a JSON object"));
    }

    private const int MaxRequestBodyBytes = 3 * 1024 * 1024;

    /// <summary>The request body as JSON text; protobuf bodies of the kinds kubectl sends that way are decoded.</summary>
    private static async Task<string> ReadBody(HttpContext http)
    {
        using var memory = new MemoryStream();
        await http.Request.Body.CopyToAsync(memory, http.RequestAborted);
        // kube-apiserver's MaxRequestBodyBytes (3 MiB) for writes, before any decoding.
        if (memory.Length > MaxRequestBodyBytes)
            throw new KubeApiException(new ApiStatus(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxRequestBodyBytes}"));
        var contentType = http.Request.ContentType ?? "";
        if (contentType.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal))
            return Protobuf.Decode(memory.ToArray()).ToJsonString();
        if (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) && !contentType.Contains("apply-patch", StringComparison.Ordinal))
            throw new KubeApiException(ApiStatus.UnsupportedMediaType(contentType));
        if (contentType.Contains("cbor", StringComparison.Ordinal) && !contentType.Contains("apply-patch", StringComparison.Ordinal))
            throw new KubeApiException(ApiStatus.UnsupportedMediaType(contentType));
        return Encoding.UTF8.GetString(memory.GetBuffer(), 0, (int)memory.Length);
    }

    private static async Task<DeleteOptions> ReadDeleteOptions(HttpContext http)
    {
        var q = http.Request.Query;
        PropagationPolicy? policy = ParsePolicy(q["propagationPolicy"]);
        string? uid = null, rv = null;
        long? grace = long.TryParse(q["gracePeriodSeconds"], out var g) ? g : null;
        if (q["orphanDependents"] == "true") policy ??= PropagationPolicy.Orphan;
        var text = await ReadBody(http);
        if (!string.IsNullOrWhiteSpace(text) && JsonNode.Parse(text) is JsonObject body)
        {
            policy = ParsePolicy((string?)body["propagationPolicy"]) ?? policy;
            if (body["orphanDependents"] is JsonValue od && od.GetValue<bool>()) policy ??= PropagationPolicy.Orphan;
            uid = (string?)(body["preconditions"] as JsonObject)?["uid"];
            rv = (string?)(body["preconditions"] as JsonObject)?["resourceVersion"];
            grace = (long?)body["gracePeriodSeconds"] ?? grace;
        }
        return new DeleteOptions(policy, uid, rv, grace);
    }

    private static PropagationPolicy? ParsePolicy(string? value) => value switch
    {
        null or "" => null,
        "Background" => PropagationPolicy.Background,
        "Foreground" => PropagationPolicy.Foreground,
        "Orphan" => PropagationPolicy.Orphan,
        _ => throw new KubeApiException(ApiStatus.Invalid("DeleteOptions", "meta.k8s.io", "", [new StatusCause("FieldValueNotSupported",
            $"Unsupported value: \"{value}\": supported values: \"Foreground\", \"Background\", \"Orphan\"", "propagationPolicy")])),
    };

    private async Task WriteObject(HttpContext http, int code, ResourceDefinition def, StoredObject o)
    {
        http.Response.StatusCode = code;
        http.Response.ContentType = "application/json";
        if (def.IsStorageVersion || !def.IsCustom) await http.Response.Body.WriteAsync(o.Json, http.RequestAborted);
        else await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(Render(def, o).ToJsonString()), http.RequestAborted);
    }

    private static async Task WriteList(HttpContext http, ResourceDefinition def, IReadOnlyList<StoredObject> items, long rv, string? cont, long? remaining)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", def.ListKind);
            writer.WriteString("apiVersion", def.GroupVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", rv.ToString());
            if (cont is not null) writer.WriteString("continue", cont);
            if (remaining is not null) writer.WriteNumber("remainingItemCount", remaining.Value);
            writer.WriteEndObject();
            writer.WriteStartArray("items");
            foreach (var item in items)
            {
                if (def.IsStorageVersion || !def.IsCustom) writer.WriteRawValue(item.Json, skipInputValidation: true);
                else Render(def, item).WriteTo(writer);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    internal static async Task WriteJson(HttpContext http, int code, JsonNode node)
    {
        http.Response.StatusCode = code;
        http.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) node.WriteTo(writer);
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    private static Task WriteStatus(HttpContext http, ApiStatus status)
    {
        if (http.Response.HasStarted) return Task.CompletedTask;
        if (status.RetryAfterSeconds is { } ra) http.Response.Headers.RetryAfter = ra.ToString();
        return WriteJson(http, status.Code, status.ToJson());
    }

    private static Task WriteNotFoundPage(HttpContext http) =>
        WriteStatus(http, new ApiStatus(404, ApiStatus.ReasonNotFound, "the server could not find the requested resource", Kind: null));
}
