using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DematOperator.Kube.Client;

/// <summary>What a command run in a pod gave: its exit code (null when it did not run), output, and the API's error if any.</summary>
public sealed record ExecResult(int? ExitCode, string Stdout, string Stderr, string? Error = null);

/// <summary>
/// The API server's remote-command protocol over WebSocket (`v5.channel.k8s.io`, falling back to
/// `v4.channel.k8s.io`, as kubectl since 1.30): each binary message starts with its channel (1 stdout, 2 stderr,
/// 3 error: a metav1.Status when the command ends), the server closes after the status.
/// </summary>
public static class ExecProtocol
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";
    public const byte Stdout = 1, Stderr = 2, Error = 3, Close = 255;
    /// <summary>What is kept of each stream: the answer of a verification, not a dump.</summary>
    public const int MaxKept = 64 * 1024;

    public static string Path(string ns, string pod, string? container, IReadOnlyList<string> command)
    {
        var query = new StringBuilder("?stdout=true&stderr=true");
        foreach (var part in command) query.Append("&command=").Append(Uri.EscapeDataString(part));
        if (!string.IsNullOrEmpty(container)) query.Append("&container=").Append(Uri.EscapeDataString(container));
        return $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(pod)}/exec{query}";
    }

    /// <summary>
    /// The exit code from the error channel's Status: Success is 0; NonZeroExitCode carries it in
    /// details.causes[reason=ExitCode]; any other failure is an error with no exit code.
    /// </summary>
    public static (int? ExitCode, string? Error) ParseStatus(string json)
    {
        JsonNode? status;
        try { status = JsonNode.Parse(json); }
        catch (JsonException) { return (null, json.Length > 300 ? json[..300] : json); }
        if ((string?)status?["status"] == "Success") return (0, null);
        if ((string?)status?["reason"] == "NonZeroExitCode"
            && (status?["details"]?["causes"] as JsonArray)?.FirstOrDefault(c => (string?)c?["reason"] == "ExitCode") is { } cause
            && int.TryParse((string?)cause["message"], out var code))
            return (code, null);
        return (null, (string?)status?["message"] ?? "the command failed");
    }

    public static async Task<ExecResult> ReadAsync(WebSocket socket, CancellationToken ct)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var error = new StringBuilder();
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            message.SetLength(0);
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, ct);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
            } while (!received.EndOfMessage);
            if (received.MessageType == WebSocketMessageType.Close) break;
            if (message.Length == 0) continue;
            var bytes = message.GetBuffer().AsSpan(0, (int)message.Length);
            var target = bytes[0] switch { Stdout => stdout, Stderr => stderr, Error => error, _ => null };
            if (target is not null && target.Length < MaxKept)
            {
                var text = Encoding.UTF8.GetString(bytes[1..]);
                target.Append(text.Length <= MaxKept - target.Length ? text : text[..(MaxKept - target.Length)]);
            }
        }
        if (socket.State is WebSocketState.CloseReceived)
        {
            try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct); } catch (WebSocketException) { }
        }
        if (error.Length == 0) return new ExecResult(null, stdout.ToString(), stderr.ToString(), "the connection closed before the command's status");
        var (exit, failure) = ParseStatus(error.ToString());
        return new ExecResult(exit, stdout.ToString(), stderr.ToString(), failure);
    }
}
