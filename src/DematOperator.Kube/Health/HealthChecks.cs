using System.Text;
using Microsoft.AspNetCore.Http;

namespace DematOperator.Kube.Health;

/// <summary>A named check: null when healthy, else the reason (which the aggregate endpoint withholds unless verbose).</summary>
public sealed record HealthCheck(string Name, Func<string?> Check);

/// <summary>controller-runtime's healthz handler: `ok`, or 500 with `[+]name ok` / `[-]name failed: reason withheld`.</summary>
public sealed class HealthEndpoint(IEnumerable<HealthCheck> checks)
{
    private readonly List<HealthCheck> _checks = [.. checks];

    public void Add(HealthCheck check) { lock (_checks) _checks.Add(check); }

    public async Task HandleAsync(HttpContext http, string basePath)
    {
        var path = http.Request.Path.Value ?? "";
        var sub = path.Length > basePath.Length ? path[(basePath.Length + 1)..] : "";
        List<HealthCheck> checks;
        lock (_checks) checks = [.. _checks];
        if (sub.Length > 0)
        {
            var single = checks.FirstOrDefault(c => c.Name == sub);
            if (single is null) { http.Response.StatusCode = 404; return; }
            var error = single.Check();
            http.Response.StatusCode = error is null ? 200 : 500;
            await http.Response.WriteAsync(error is null ? "ok" : $"internal server error: {error}\n");
            return;
        }
        var excluded = http.Request.Query["exclude"].SelectMany(v => (v ?? "").Split(',')).ToHashSet();
        var verbose = http.Request.Query.ContainsKey("verbose");
        var sb = new StringBuilder();
        var failed = false;
        foreach (var c in checks.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            if (excluded.Contains(c.Name)) { sb.Append($"[+]{c.Name} excluded: ok\n"); continue; }
            var error = c.Check();
            if (error is null) sb.Append($"[+]{c.Name} ok\n");
            else
            {
                failed = true;
                sb.Append(verbose ? $"[-]{c.Name} failed: {error}\n" : $"[-]{c.Name} failed: reason withheld\n");
            }
        }
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        if (failed)
        {
            http.Response.StatusCode = 500;
            await http.Response.WriteAsync(sb + $"{basePath.TrimStart('/')} check failed\n");
            return;
        }
        await http.Response.WriteAsync(verbose ? sb + $"{basePath.TrimStart('/')} check passed\n" : "ok");
    }
}
