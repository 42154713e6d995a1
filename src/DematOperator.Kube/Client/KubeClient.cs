using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DematOperator.Kube.Api;
using DematOperator.Kube.Config;
using DematOperator.Kube.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace DematOperator.Kube.Client;

public enum PatchType { Merge, Json, Strategic }

public sealed record ListRequest(string? LabelSelector = null, string? FieldSelector = null, int Limit = 0, string? Continue = null, string? ResourceVersion = null);

public sealed record WatchRequest(string? ResourceVersion, string? LabelSelector = null, string? FieldSelector = null, int TimeoutSeconds = 0, bool AllowBookmarks = true);

public sealed record DeleteRequest(string? PropagationPolicy = null, string? PreconditionUid = null, string? PreconditionResourceVersion = null);

public sealed class KubeClientOptions
{
    /// <summary>Per-request timeout for everything but watches (client-go's default is also finite).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public int MaxRetries { get; set; } = 5;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Who the operator is, for the audit log (the pod's service account).</summary>
    public string Identity { get; set; } = "dematoperator";
    public string UserAgent { get; set; } = "dematoperator/0.1";
}

/// <summary>
/// A lean Kubernetes REST client: typed (source-generated JSON) and dynamic objects, list pagination,
/// watch streams, writes with status and patch, deletes with preconditions. Transient failures (429 with
/// Retry-After, 5xx, broken connections) are retried with backoff, but a create is retried only when the
/// server cannot have acted on it. Every write is written to the audit log.
/// </summary>
public sealed class KubeClient : IDisposable
{
    public static readonly ActivitySource Tracing = new("DematOperator.Kube");
    private static readonly AsyncLocal<string?> CurrentReason = new();

    private readonly ClusterEndpoint _endpoint;
    private readonly CredentialProvider _credentials;
    private readonly KubeClientOptions _options;
    private readonly ILogger _audit;
    private readonly ILogger _log;
    private readonly Lazy<Task<HttpClient>> _http;
    private readonly ResiliencePipeline _idempotent;
    private readonly ResiliencePipeline _create;
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Counter _retries;
    private readonly Counter _undecodable;

    public KubeClient(ClusterEndpoint endpoint, KubeClientOptions? options = null, MetricsRegistry? metrics = null,
        ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        _endpoint = endpoint;
        _options = options ?? new KubeClientOptions();
        Time = time ?? TimeProvider.System;
        _credentials = new CredentialProvider(endpoint, Time);
        _audit = (loggers ?? NullLoggerFactory.Instance).CreateLogger("DematOperator.Audit");
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger<KubeClient>();
        metrics ??= new MetricsRegistry();
        _undecodable = metrics.Counter("dematoperator_undecodable_objects_total", "Objects skipped because they cannot be decoded into the operator's types, by resource.", "resource");
        _requests = metrics.Counter("rest_client_requests_total", "Number of HTTP requests, partitioned by status code, method, and host.", "code", "method", "host");
        _latency = metrics.Histogram("rest_client_request_duration_seconds", "Request latency in seconds. Broken down by verb, and host.", MetricsRegistry.RequestBuckets, "verb", "host");
        _retries = metrics.Counter("rest_client_request_retries_total", "Number of request retries, partitioned by status code, verb, and host.", "code", "verb", "host");
        _http = new Lazy<Task<HttpClient>>(async () =>
        {
            var handler = await _credentials.CreateHandlerAsync(CancellationToken.None);
            var client = new HttpClient(handler) { BaseAddress = endpoint.Server, Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
            return client;
        });
        _idempotent = BuildPipeline(retryServerErrors: true);
        _create = BuildPipeline(retryServerErrors: false);
    }

    public TimeProvider Time { get; }
    public string Host => _endpoint.Server.Authority;
    public string? DefaultNamespace => _endpoint.DefaultNamespace;
    public string Identity => _options.Identity;
    public ClusterEndpoint Endpoint => _endpoint;

    /// <summary>Tags the writes made in this async flow with a reason, for the audit log ("why").</summary>
    public static IDisposable Because(string reason)
    {
        var previous = CurrentReason.Value;
        CurrentReason.Value = reason;
        return new Restore(() => CurrentReason.Value = previous);
    }

    private sealed class Restore(Action undo) : IDisposable { public void Dispose() => undo(); }

    /// <summary>
    /// Runs a command in a pod's container and waits for it to end, as `kubectl exec` does (no stdin, no TTY). The
    /// caller bounds the time with <paramref name="ct"/>. HTTP refusals (pod not found, forbidden) throw
    /// <see cref="KubeApiException"/>; a command that runs and fails returns its exit code.
    /// </summary>
    public async Task<ExecResult> ExecAsync(string ns, string pod, string? container, IReadOnlyList<string> command, CancellationToken ct = default)
    {
        var http = await _http.Value;
        var path = ExecProtocol.Path(ns, pod, container, command);
        var uri = new UriBuilder(new Uri(_endpoint.Server, path)) { Scheme = _endpoint.Server.Scheme == "https" ? "wss" : "ws" }.Uri;
        using var activity = Tracing.StartActivity($"EXEC /api/v1/namespaces/{ns}/pods/{pod}/exec", ActivityKind.Client);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.AddSubProtocol(ExecProtocol.V5);
        socket.Options.AddSubProtocol(ExecProtocol.V4);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("User-Agent", _options.UserAgent);
        if (await _credentials.TokenAsync(ct) is { } token) socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        try { await socket.ConnectAsync(uri, http, ct); }
        catch (System.Net.WebSockets.WebSocketException e) when (socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            var code = (int)socket.HttpStatusCode;
            _requests.WithLabels(code.ToString(), "GET", Host).Inc();
            if (socket.HttpStatusCode == HttpStatusCode.Unauthorized) _credentials.Invalidate();
            Audit(("pods/exec", ns, pod, "create"), code, socket.HttpStatusCode.ToString());
            throw new KubeApiException(new ApiStatus(code, socket.HttpStatusCode.ToString(), $"exec in {ns}/{pod} refused: {e.Message}"));
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or HttpRequestException)
        {
            _requests.WithLabels("<error>", "GET", Host).Inc();
            throw new KubeConnectionException(Host, e);
        }
        _requests.WithLabels("101", "GET", Host).Inc();
        Audit(("pods/exec", ns, pod, "create"), 101, null);
        try { return await ExecProtocol.ReadAsync(socket, ct); }
        catch (System.Net.WebSockets.WebSocketException e) { throw new KubeConnectionException(Host, e, mayHaveBeenProcessed: true); }
    }

    // ---------------------------------------------------------------- typed operations

    public async Task<T> GetAsync<T>(ResourceType<T> rt, string? ns, string name, CancellationToken ct = default) where T : KubeObject =>
        Deserialize(await SendAsync(HttpMethod.Get, rt.Path(ns, name), null, null, ct), rt.TypeInfo);

    public async Task<T?> TryGetAsync<T>(ResourceType<T> rt, string? ns, string name, CancellationToken ct = default) where T : KubeObject
    {
        try { return await GetAsync(rt, ns, name, ct); }
        catch (KubeApiException e) when (e.IsNotFound) { return null; }
    }

    public async Task<ObjectList<T>> ListAsync<T>(ResourceType<T> rt, string? ns, ListRequest? request = null, CancellationToken ct = default) where T : KubeObject
    {
        var q = new QueryBuilder();
        if (request is not null)
        {
            q.Add("labelSelector", request.LabelSelector);
            q.Add("fieldSelector", request.FieldSelector);
            if (request.Limit > 0) q.Add("limit", request.Limit.ToString());
            q.Add("continue", request.Continue);
            q.Add("resourceVersion", request.ResourceVersion);
        }
        var body = await SendAsync(HttpMethod.Get, rt.Path(ns) + q, null, null, ct);
        try { return Deserialize(body, rt.ListTypeInfo); }
        catch (JsonException) { return DecodeItemByItem(body, rt); }
    }

    /// <summary>
    /// A list with an object our types cannot decode (stored before a schema tightened, or written around it) keeps
    /// every other object: the undecodable one is skipped and reported, never allowed to stall the whole kind.
    /// </summary>
    private ObjectList<T> DecodeItemByItem<T>(string body, ResourceType<T> rt) where T : KubeObject
    {
        var node = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("list response is not an object");
        var list = new ObjectList<T>
        {
            ApiVersion = (string?)node["apiVersion"], Kind = (string?)node["kind"],
            Metadata = node["metadata"]?.Deserialize(KubeJsonContext.Default.ListMeta) ?? new ListMeta(),
        };
        foreach (var item in node["items"] as JsonArray ?? [])
        {
            if (Decode(item, rt) is { } decoded) list.Items.Add(decoded);
        }
        return list;
    }

    private T? Decode<T>(JsonNode? item, ResourceType<T> rt) where T : KubeObject
    {
        try { return item.Deserialize(rt.TypeInfo); }
        catch (JsonException e)
        {
            _undecodable.WithLabels(rt.GroupResource).Inc();
            _log.LogError("skipping {Resource} {Namespace}/{Name}: it cannot be decoded ({Error})", rt.GroupResource,
                (string?)item?["metadata"]?["namespace"], (string?)item?["metadata"]?["name"], e.Message);
            return null;
        }
    }

    /// <summary>All pages of a list (500 per page, like client-go's pager).</summary>
    public async Task<ObjectList<T>> ListAllAsync<T>(ResourceType<T> rt, string? ns, ListRequest? request = null, CancellationToken ct = default) where T : KubeObject
    {
        request ??= new ListRequest();
        var first = await ListAsync(rt, ns, request with { Limit = request.Limit > 0 ? request.Limit : 500, Continue = null }, ct);
        var next = first.Metadata.Continue;
        while (!string.IsNullOrEmpty(next))
        {
            ObjectList<T> page;
            try { page = await ListAsync(rt, ns, request with { Limit = request.Limit > 0 ? request.Limit : 500, Continue = next, ResourceVersion = null }, ct); }
            catch (KubeApiException e) when (e.IsGoneOrExpired)
            {
                // The continue token expired mid-way: fall back to one full list, as client-go's pager does.
                return await ListAsync(rt, ns, request with { Limit = 0, Continue = null }, ct);
            }
            first.Items.AddRange(page.Items);
            next = page.Metadata.Continue;
        }
        first.Metadata.Continue = null;
        return first;
    }

    public Task<T> CreateAsync<T>(ResourceType<T> rt, T obj, CancellationToken ct = default) where T : KubeObject =>
        WriteAsync(HttpMethod.Post, rt, obj.Metadata.Namespace, null, null, obj, ct);

    public Task<T> UpdateAsync<T>(ResourceType<T> rt, T obj, CancellationToken ct = default) where T : KubeObject =>
        WriteAsync(HttpMethod.Put, rt, obj.Metadata.Namespace, obj.Name, null, obj, ct);

    public Task<T> UpdateStatusAsync<T>(ResourceType<T> rt, T obj, CancellationToken ct = default) where T : KubeObject =>
        WriteAsync(HttpMethod.Put, rt, obj.Metadata.Namespace, obj.Name, "status", obj, ct);

    public async Task<T> PatchAsync<T>(ResourceType<T> rt, string? ns, string name, PatchType type, string patch, string? subresource = null, CancellationToken ct = default) where T : KubeObject
    {
        var mediaType = type switch
        {
            PatchType.Json => "application/json-patch+json",
            PatchType.Strategic => "application/strategic-merge-patch+json",
            _ => "application/merge-patch+json",
        };
        var body = await SendAsync(HttpMethod.Patch, rt.Path(ns, name, subresource), patch, mediaType, ct, audit: (rt.GroupResource, ns, name, "patch"));
        return Deserialize(body, rt.TypeInfo);
    }

    public async Task DeleteAsync<T>(ResourceType<T> rt, string? ns, string name, DeleteRequest? request = null, CancellationToken ct = default) where T : KubeObject
    {
        string? body = null;
        if (request is not null)
        {
            var o = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1" };
            if (request.PropagationPolicy is not null) o["propagationPolicy"] = request.PropagationPolicy;
            if (request.PreconditionUid is not null || request.PreconditionResourceVersion is not null)
                o["preconditions"] = new JsonObject { ["uid"] = request.PreconditionUid, ["resourceVersion"] = request.PreconditionResourceVersion };
            body = o.ToJsonString();
        }
        await SendAsync(HttpMethod.Delete, rt.Path(ns, name), body, "application/json", ct, audit: (rt.GroupResource, ns, name, "delete"));
    }

    /// <summary>
    /// A watch stream. An in-stream ERROR event becomes a <see cref="KubeApiException"/> (410 Expired included);
    /// the stream ends when the server closes it. No retries here: the informer owns reconnecting.
    /// </summary>
    /// <param name="connected">Called once the server has accepted the watch (a quiet watch yields nothing, yet is connected).</param>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType<T> rt, string? ns, WatchRequest request,
        [EnumeratorCancellation] CancellationToken ct = default, Action? connected = null) where T : KubeObject
    {
        var q = new QueryBuilder();
        q.Add("watch", "true");
        q.Add("resourceVersion", request.ResourceVersion);
        q.Add("labelSelector", request.LabelSelector);
        q.Add("fieldSelector", request.FieldSelector);
        if (request.AllowBookmarks) q.Add("allowWatchBookmarks", "true");
        if (request.TimeoutSeconds > 0) q.Add("timeoutSeconds", request.TimeoutSeconds.ToString());
        var http = await _http.Value;
        using var message = await NewRequestAsync(HttpMethod.Get, rt.Path(ns) + q, null, null, ct);
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try { response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e)
        {
            _requests.WithLabels("<error>", "WATCH", Host).Inc();
            throw new KubeConnectionException(Host, e);
        }
        using (response)
        {
            _requests.WithLabels(((int)response.StatusCode).ToString(), "WATCH", Host).Inc();
            _latency.WithLabels("WATCH", Host).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (!response.IsSuccessStatusCode) throw await ErrorFromAsync(response, ct);
            connected?.Invoke();
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (true)
            {
                string? line;
                try { line = await reader.ReadLineAsync(ct); }
                catch (IOException) { yield break; }
                catch (HttpRequestException) { yield break; }
                if (line is null) yield break;
                if (line.Length == 0) continue;
                var node = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("watch event is not an object");
                var type = (string?)node["type"] ?? "";
                if (type == "ERROR")
                    throw new KubeApiException(ApiStatus.FromJson(node["object"], 500) ?? ApiStatus.Internal("watch error without a Status"));
                if (Decode(node["object"], rt) is { } decoded) yield return new WatchEvent<T> { Type = type, Object = decoded };
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private async Task<T> WriteAsync<T>(HttpMethod method, ResourceType<T> rt, string? ns, string? name, string? subresource, T obj, CancellationToken ct) where T : KubeObject
    {
        obj.ApiVersion ??= rt.ApiVersion;
        obj.Kind ??= rt.Kind;
        var json = JsonSerializer.Serialize(obj, rt.TypeInfo);
        var verb = method == HttpMethod.Post ? "create" : subresource is null ? "update" : $"update/{subresource}";
        var body = await SendAsync(method, rt.Path(rt.Namespaced ? ns : null, name, subresource), json, "application/json", ct,
            audit: (rt.GroupResource, ns, name ?? obj.Metadata.Name ?? obj.Metadata.GenerateName, verb));
        return Deserialize(body, rt.TypeInfo);
    }

    private static T Deserialize<T>(string json, JsonTypeInfo<T> info) =>
        JsonSerializer.Deserialize(json, info) ?? throw new JsonException("empty response");

    private async Task<HttpRequestMessage> NewRequestAsync(HttpMethod method, string path, string? body, string? contentType, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (await _credentials.TokenAsync(ct) is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
        }
        return request;
    }

    private async Task<string> SendAsync(HttpMethod method, string path, string? body, string? contentType, CancellationToken ct,
        (string Resource, string? Namespace, string? Name, string Verb)? audit = null)
    {
        var pipeline = method == HttpMethod.Post ? _create : _idempotent;
        var verbLabel = method.Method.ToUpperInvariant();
        using var activity = Tracing.StartActivity($"{verbLabel} {path.Split('?')[0]}", ActivityKind.Client);
        activity?.SetTag("http.request.method", verbLabel);
        activity?.SetTag("server.address", Host);
        var code = 0;
        try
        {
            var result = await pipeline.ExecuteAsync(async token =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(_options.RequestTimeout);
                var http = await _http.Value;
                using var request = await NewRequestAsync(method, path, body, contentType, timeout.Token);
                var started = Stopwatch.GetTimestamp();
                HttpResponseMessage response;
                try { response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token); }
                catch (HttpRequestException e)
                {
                    _requests.WithLabels("<error>", verbLabel, Host).Inc();
                    throw new KubeConnectionException(Host, e);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    _requests.WithLabels("<error>", verbLabel, Host).Inc();
                    throw new KubeConnectionException(Host, new TimeoutException($"request timed out after {_options.RequestTimeout}"), mayHaveBeenProcessed: true);
                }
                using (response)
                {
                    code = (int)response.StatusCode;
                    _requests.WithLabels(code.ToString(), verbLabel, Host).Inc();
                    _latency.WithLabels(verbLabel, Host).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                    if (response.StatusCode == HttpStatusCode.Unauthorized) _credentials.Invalidate();
                    if (!response.IsSuccessStatusCode) throw await ErrorFromAsync(response, timeout.Token);
                    return await response.Content.ReadAsStringAsync(timeout.Token);
                }
            }, ct);
            if (audit is { } a) Audit(a, code, null);
            return result;
        }
        catch (KubeApiException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Status.Reason);
            if (audit is { } a) Audit(a, e.Code, e.Status.Reason);
            throw;
        }
        catch (KubeConnectionException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            if (audit is { } a) Audit(a, 0, "ConnectionFailed");
            throw;
        }
    }

    private void Audit((string Resource, string? Namespace, string? Name, string Verb) a, int code, string? failure)
    {
        var activity = Activity.Current;
        _audit.LogInformation("audit user={User} verb={Verb} resource={Resource} namespace={Namespace} name={Name} code={Code} failure={Failure} reason={Reason} cluster={Cluster} trace={Trace}",
            _options.Identity, a.Verb, a.Resource, a.Namespace ?? "", a.Name ?? "", code, failure ?? "", CurrentReason.Value ?? "", Host, activity?.TraceId.ToString() ?? "");
    }

    private static async Task<KubeApiException> ErrorFromAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var code = (int)response.StatusCode;
        string text;
        try { text = await response.Content.ReadAsStringAsync(ct); } catch (HttpRequestException) { text = ""; }
        ApiStatus? status = null;
        try { status = ApiStatus.FromJson(JsonNode.Parse(text), code); } catch (JsonException) { }
        status ??= new ApiStatus(code, response.ReasonPhrase ?? "Unknown", text.Length > 300 ? text[..300] : text);
        if (status.RetryAfterSeconds is null && response.Headers.RetryAfter?.Delta is { } delta)
            status = status with { RetryAfterSeconds = (int)delta.TotalSeconds };
        return new KubeApiException(status);
    }

    private ResiliencePipeline BuildPipeline(bool retryServerErrors) => _options.MaxRetries <= 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = _options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryBaseDelay,
            MaxDelay = _options.RetryMaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception switch
            {
                // 429 comes from priority & fairness before the request is processed: always safe to retry.
                KubeApiException { Code: 429 } => true,
                KubeApiException e => retryServerErrors && e.IsTransient,
                // A create is retried only if the server cannot have received it.
                KubeConnectionException e => retryServerErrors || !e.MayHaveBeenProcessed,
                _ => false,
            }),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Exception is KubeApiException { Status.RetryAfterSeconds: > 0 } k
                ? TimeSpan.FromSeconds(Math.Min(k.Status.RetryAfterSeconds!.Value, 30))
                : null),
            OnRetry = args =>
            {
                var code = args.Outcome.Exception is KubeApiException k ? k.Code.ToString() : "<error>";
                _retries.WithLabels(code, "any", Host).Inc();
                _log.LogDebug("retrying request to {Host} after {Error} (attempt {Attempt})", Host, args.Outcome.Exception?.Message, args.AttemptNumber + 1);
                return ValueTask.CompletedTask;
            },
        }).Build();

    public void Dispose()
    {
        if (_http.IsValueCreated) _http.Value.Result.Dispose();
    }

    private sealed class QueryBuilder
    {
        private readonly StringBuilder _sb = new();
        public void Add(string key, string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            _sb.Append(_sb.Length == 0 ? '?' : '&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }
        public override string ToString() => _sb.ToString();
    }
}

/// <summary>The API server could not be reached, or the connection broke before an answer.</summary>
public sealed class KubeConnectionException(string host, Exception inner, bool mayHaveBeenProcessed = false)
    : Exception($"cannot reach the API server {host}: {inner.Message}", inner)
{
    /// <summary>
    /// True when the request may have reached the server (timeout or connection lost after sending): a create must
    /// then not be blindly repeated. Connection refused or DNS failures leave it false.
    /// </summary>
    public bool MayHaveBeenProcessed { get; } = mayHaveBeenProcessed ||
        (inner is HttpRequestException h && h.HttpRequestError is not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError));
}
