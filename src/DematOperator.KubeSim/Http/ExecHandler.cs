using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Security;
using Microsoft.AspNetCore.Http;

namespace DematOperator.KubeSim.Http;

/// <summary>
/// pods/exec as kube-apiserver serves it over WebSocket (KEP-4006): the `v5.channel.k8s.io` or
/// `v4.channel.k8s.io` subprotocol, one binary message per chunk prefixed by its channel (1 stdout, 2 stderr,
/// 3 error: a metav1.Status when the command ends), then a close. The upgrade needs `create` on pods/exec (as
/// Kubernetes 1.31+ checks a WebSocket GET). Only the WebSocket protocol is served: a SPDY upgrade is refused as
/// a server without SPDY would.
/// </summary>
public sealed partial class ApiHandler
{
    private static readonly string[] ExecProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    private async Task HandleExec(HttpContext http, UserInfo user, ApiRequest request)
    {
        cluster.Requests.Add("create", "pods/exec");
        if (cluster.Faults.NextError("create", "pods", "", request.Name, "exec") is { } injected) { await WriteStatus(http, injected); return; }
        if (!RbacAuthorizer.Authorize(cluster, user, new AuthorizationRequest("create", "", "pods", "exec", request.Namespace, request.Name)))
        {
            await WriteStatus(http, ApiStatus.Forbidden(user.Name, "create", "pods/exec", "", request.Name, request.Namespace));
            return;
        }
        var pod = cluster.TryGet(BuiltinKeys.Pods, request.Namespace, request.Name!)?.Parse()
                  ?? throw new KubeApiException(ApiStatus.NotFound("pods", "", request.Name!));
        var command = http.Request.Query["command"].Select(c => c ?? "").ToList();
        if (command.Count == 0) throw new KubeApiException(ApiStatus.BadRequest("you must specify at least 1 command"));
        var containers = ((pod["spec"] as JsonObject)?["containers"] as JsonArray)?.Select(c => (string?)c?["name"] ?? "").ToList() ?? [];
        var container = (string?)http.Request.Query["container"] is { Length: > 0 } c ? c : containers.FirstOrDefault() ?? "";
        if (!containers.Contains(container))
            throw new KubeApiException(ApiStatus.BadRequest($"container {container} is not valid for pod {request.Name}"));
        if ((string?)(pod["status"] as JsonObject)?["phase"] != "Running")
            throw new KubeApiException(ApiStatus.BadRequest($"unable to upgrade connection: pod {request.Name} is not running"));
        if (!http.WebSockets.IsWebSocketRequest) throw new KubeApiException(ApiStatus.BadRequest("Upgrade request required"));
        var protocol = ExecProtocols.FirstOrDefault(p => http.WebSockets.WebSocketRequestedProtocols.Contains(p));
        if (protocol is null)
            throw new KubeApiException(ApiStatus.BadRequest($"unable to upgrade: no supported subprotocol among {string.Join(", ", http.WebSockets.WebSocketRequestedProtocols)}"));

        var answer = cluster.Exec.Run(new ExecCall(request.Namespace ?? "", request.Name!, container, command));
        using var socket = await http.WebSockets.AcceptWebSocketAsync(protocol);
        var ct = http.RequestAborted;
        async Task Send(byte channel, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var frame = new byte[bytes.Length + 1];
            frame[0] = channel;
            bytes.CopyTo(frame, 1);
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct);
        }
        if (answer.Stdout.Length > 0) await Send(1, answer.Stdout);
        if (answer.Stderr.Length > 0) await Send(2, answer.Stderr);
        var status = answer.RuntimeError is { } error
            ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = $"Internal error occurred: {error}", ["reason"] = "InternalError", ["code"] = 500 }
            : answer.ExitCode == 0
                ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
                : new JsonObject
                {
                    ["metadata"] = new JsonObject(), ["status"] = "Failure",
                    ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {answer.ExitCode}",
                    ["reason"] = "NonZeroExitCode",
                    ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = answer.ExitCode.ToString() }) },
                };
        await Send(3, status.ToJsonString());
        try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct); }
        catch (WebSocketException) { }
    }
}
