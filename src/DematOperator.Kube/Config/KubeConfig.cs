using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.Kube.Config;

/// <summary>The `user` entry of a kubeconfig context: how to prove who we are.</summary>
public sealed record UserCredentials(
    string? Token = null,
    string? TokenFile = null,
    string? ClientCertificateData = null,
    string? ClientKeyData = null,
    ExecConfig? Exec = null);

/// <summary>A `client.authentication.k8s.io` exec credential plugin.</summary>
public sealed record ExecConfig(string Command, IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Env, string ApiVersion, bool ProvideClusterInfo);

/// <summary>Everything needed to talk to one API server: resolved from a kubeconfig context or in-cluster.</summary>
public sealed record ClusterEndpoint(
    string Name,
    Uri Server,
    string? CertificateAuthorityPem,
    bool InsecureSkipTlsVerify,
    string? TlsServerName,
    UserCredentials User,
    string? DefaultNamespace);

/// <summary>
/// Kubeconfig loading with client-go's precedence: explicit path, else KUBECONFIG (several files merged,
/// first occurrence of a name wins), else in-cluster service account, else ~/.kube/config.
/// </summary>
public static class KubeConfigLoader
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static ClusterEndpoint Load(string? explicitPath = null, string? context = null, IReadOnlyDictionary<string, string?>? environment = null) =>
        Files(explicitPath, environment) is { } files
            ? FromFiles(files, context)
            : InCluster(Env(environment, "KUBERNETES_SERVICE_HOST")!, Env(environment, "KUBERNETES_SERVICE_PORT") ?? "443");

    /// <summary>
    /// Every context of the kubeconfig <see cref="Load"/> would read, in the order the files name them (first wins on a
    /// duplicate), the current one first; empty inside a pod without a kubeconfig (the one in-cluster API).
    /// </summary>
    public static IReadOnlyList<string> Contexts(string? explicitPath = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        if (Files(explicitPath, environment) is not { } files) return [];
        var merged = new Merged();
        foreach (var path in files.Where(File.Exists))
            foreach (var doc in YamlDocuments.ParseObjects(File.ReadAllText(path))) merged.Add(doc, Path.GetDirectoryName(Path.GetFullPath(path))!);
        return merged.ContextNames;
    }

    private static string? Env(IReadOnlyDictionary<string, string?>? environment, string name) =>
        environment is not null ? environment.GetValueOrDefault(name) : Environment.GetEnvironmentVariable(name);

    /// <summary>The kubeconfig files to read, by client-go's precedence; null for the in-cluster service account.</summary>
    private static IReadOnlyList<string>? Files(string? explicitPath, IReadOnlyDictionary<string, string?>? environment)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return [explicitPath];
        var kubeconfigEnv = Env(environment, "KUBECONFIG");
        if (!string.IsNullOrEmpty(kubeconfigEnv)) return kubeconfigEnv.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (!string.IsNullOrEmpty(Env(environment, "KUBERNETES_SERVICE_HOST")) && File.Exists(Path.Combine(ServiceAccountDir, "token"))) return null;
        var home = Env(environment, "HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var defaultPath = Path.Combine(home, ".kube", "config");
        if (File.Exists(defaultPath)) return [defaultPath];
        throw new InvalidOperationException("no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, run in a pod, or create ~/.kube/config");
    }

    public static ClusterEndpoint InCluster(string host, string port)
    {
        var ca = Path.Combine(ServiceAccountDir, "ca.crt");
        var ns = Path.Combine(ServiceAccountDir, "namespace");
        var hostPart = host.Contains(':') ? $"[{host}]" : host;
        return new ClusterEndpoint("in-cluster", new Uri($"https://{hostPart}:{port}"), File.Exists(ca) ? File.ReadAllText(ca) : null, false, null,
            new UserCredentials(TokenFile: Path.Combine(ServiceAccountDir, "token")), File.Exists(ns) ? File.ReadAllText(ns).Trim() : null);
    }

    /// <summary>
    /// Merges kubeconfig files, first wins. As client-go, a missing entry of a list is skipped; but when none of them
    /// exists, that is the error, said with the paths (not the "no current-context" it would otherwise lead to).
    /// </summary>
    public static ClusterEndpoint FromFiles(IEnumerable<string> paths, string? context = null)
    {
        var list = paths.ToList();
        if (list.Count > 0 && !list.Any(File.Exists))
            throw new FileNotFoundException(list.Count == 1
                ? $"kubeconfig file {list[0]} does not exist"
                : $"none of the kubeconfig files exists: {string.Join(", ", list)}", list[0]);
        var merged = new Merged();
        foreach (var path in list)
        {
            if (!File.Exists(path)) continue;
            var full = Path.GetFullPath(path);
            foreach (var doc in YamlDocuments.ParseObjects(File.ReadAllText(full))) merged.Add(doc, Path.GetDirectoryName(full)!);
        }
        return merged.Resolve(context);
    }

    /// <summary>From kubeconfig text, e.g. the content of a Secret that holds a remote cluster's kubeconfig.</summary>
    public static ClusterEndpoint FromText(string yaml, string? context = null, string? baseDirectory = null)
    {
        var merged = new Merged();
        foreach (var doc in YamlDocuments.ParseObjects(yaml)) merged.Add(doc, baseDirectory ?? Directory.GetCurrentDirectory());
        return merged.Resolve(context);
    }

    private sealed class Merged
    {
        private readonly Dictionary<string, (JsonObject Entry, string Dir)> _clusters = new();
        private readonly Dictionary<string, (JsonObject Entry, string Dir)> _users = new();
        private readonly Dictionary<string, JsonObject> _contexts = new();
        private readonly List<string> _contextOrder = [];
        private string? _current;

        public void Add(JsonObject doc, string dir)
        {
            _current ??= (string?)doc["current-context"] is { Length: > 0 } c ? c : null;
            foreach (var e in (doc["clusters"] as JsonArray ?? []).OfType<JsonObject>())
                if ((string?)e["name"] is { } n && e["cluster"] is JsonObject v) _clusters.TryAdd(n, (v, dir));
            foreach (var e in (doc["users"] as JsonArray ?? []).OfType<JsonObject>())
                if ((string?)e["name"] is { } n && e["user"] is JsonObject v) _users.TryAdd(n, (v, dir));
            foreach (var e in (doc["contexts"] as JsonArray ?? []).OfType<JsonObject>())
                if ((string?)e["name"] is { } n && e["context"] is JsonObject v && _contexts.TryAdd(n, v)) _contextOrder.Add(n);
        }

        public IReadOnlyList<string> ContextNames =>
            [.. _contextOrder.Where(n => n == _current), .. _contextOrder.Where(n => n != _current)];

        public ClusterEndpoint Resolve(string? context)
        {
            var name = context ?? _current ?? throw new InvalidOperationException("kubeconfig has no current-context and no context was given");
            if (!_contexts.TryGetValue(name, out var ctx)) throw new InvalidOperationException($"context \"{name}\" not found in kubeconfig");
            var clusterName = (string?)ctx["cluster"] ?? "";
            if (!_clusters.TryGetValue(clusterName, out var cluster)) throw new InvalidOperationException($"cluster \"{clusterName}\" of context \"{name}\" not found in kubeconfig");
            var userName = (string?)ctx["user"];
            var (user, userDir) = userName is not null && _users.TryGetValue(userName, out var u) ? u : (new JsonObject(), cluster.Dir);
            if (userName is not null && !_users.ContainsKey(userName)) throw new InvalidOperationException($"user \"{userName}\" of context \"{name}\" not found in kubeconfig");

            var server = (string?)cluster.Entry["server"] ?? throw new InvalidOperationException($"cluster \"{clusterName}\" has no server");
            string? ca = null;
            if ((string?)cluster.Entry["certificate-authority-data"] is { Length: > 0 } caData) ca = Base64Text(caData);
            else if ((string?)cluster.Entry["certificate-authority"] is { Length: > 0 } caFile) ca = File.ReadAllText(Resolve(cluster.Dir, caFile));
            var insecure = cluster.Entry["insecure-skip-tls-verify"] is JsonValue iv && iv.GetValue<bool>();

            string? certData = (string?)user["client-certificate-data"] is { Length: > 0 } cd ? Base64Text(cd)
                : (string?)user["client-certificate"] is { Length: > 0 } cf ? File.ReadAllText(Resolve(userDir, cf)) : null;
            string? keyData = (string?)user["client-key-data"] is { Length: > 0 } kd ? Base64Text(kd)
                : (string?)user["client-key"] is { Length: > 0 } kf ? File.ReadAllText(Resolve(userDir, kf)) : null;
            ExecConfig? exec = null;
            if (user["exec"] is JsonObject e)
                exec = new ExecConfig(
                    (string?)e["command"] ?? throw new InvalidOperationException("exec plugin without command"),
                    (e["args"] as JsonArray)?.Select(a => (string?)a ?? "").ToList() ?? [],
                    (e["env"] as JsonArray)?.OfType<JsonObject>().ToDictionary(v => (string?)v["name"] ?? "", v => (string?)v["value"] ?? "") ?? [],
                    (string?)e["apiVersion"] ?? throw new InvalidOperationException("exec plugin without apiVersion"),
                    e["provideClusterInfo"] is JsonValue pci && pci.GetValue<bool>());
            var tokenFile = (string?)user["tokenFile"];
            return new ClusterEndpoint(name, new Uri(server), ca, insecure, (string?)cluster.Entry["tls-server-name"],
                new UserCredentials((string?)user["token"], tokenFile is null ? null : Resolve(userDir, tokenFile), certData, keyData, exec),
                (string?)ctx["namespace"]);
        }

        private static string Resolve(string dir, string path) => Path.IsPathRooted(path) ? path : Path.Combine(dir, path);
        private static string Base64Text(string data) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data));
    }
}
