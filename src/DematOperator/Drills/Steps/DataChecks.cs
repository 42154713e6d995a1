using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Data checks: a command run in a restored pod (as `kubectl exec` does) whose output must match what proves the
/// data came back. Commands run only in the namespaces the drill restored, never elsewhere. The output kept as
/// evidence is truncated and any value of the namespace's Secrets in it is redacted.
/// </summary>
public sealed class DataChecks
{
    public const int MaxOutput = 300;
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    public async Task<List<ExecEvidence>> RunAsync(DrillRunContext cx, IReadOnlyList<DrillExecCheck> checks, CancellationToken ct)
    {
        var evidence = new List<ExecEvidence>();
        var secretsByNamespace = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var check in checks)
        {
            var ns = cx.Settings.TargetNamespace(check.Namespace ?? cx.Drill.Spec.Source.Namespaces[0]);
            if (!secretsByNamespace.TryGetValue(ns, out var secrets)) secretsByNamespace[ns] = secrets = await SecretValuesAsync(cx.Target, ns, ct);
            var command = Redact(string.Join(' ', check.Command), secrets);
            var pod = check.Pod ?? (await PodCommands.ReadyPodsAsync(cx.Target, ns, check.Workload!, ct)).FirstOrDefault();
            if (pod is null)
            {
                evidence.Add(new ExecEvidence { Name = check.Name, Pod = $"{ns}/-", Command = command, Output = $"no ready pod of {check.Workload!.Kind} {ns}/{check.Workload.Name}" });
                continue;
            }
            var timeout = Durations.Parse(check.Timeout)?.ToTimeSpan() ?? TimeSpan.FromMinutes(1);
            var result = await PodCommands.RunAsync(cx.Target, ns, pod, check.Container, check.Command, timeout, ct);
            var output = result.Stdout.Trim();
            var (passed, why) = result.ExitCode == 0 ? Expect(check.Expect, output) : (false, result.Error ?? $"exit code {result.ExitCode}: {result.Stderr.Trim()}");
            evidence.Add(new ExecEvidence
            {
                Name = check.Name, Pod = $"{ns}/{pod}", Command = command, ExitCode = result.ExitCode, Passed = passed,
                Output = Truncate(Redact(passed ? output : $"{output}{(output.Length > 0 ? " — " : "")}{why}", secrets)),
            });
        }
        return evidence;
    }

    /// <summary>Whether the output shows what it must: a match of the regex, and a number at least the minimum.</summary>
    public static (bool Passed, string Why) Expect(DrillExpectedOutput expect, string output)
    {
        if (expect.Regex is { } pattern)
        {
            try
            {
                if (!Regex.IsMatch(output, pattern, RegexOptions.None, RegexTimeout)) return (false, $"output does not match /{pattern}/");
            }
            catch (RegexMatchTimeoutException) { return (false, $"/{pattern}/ took too long to match"); }
        }
        if (expect.Minimum is { } minimum)
        {
            if (!decimal.TryParse(output, NumberStyles.Number, CultureInfo.InvariantCulture, out var n)) return (false, $"output is not a number (at least {minimum} expected)");
            if (n < minimum) return (false, $"{n} is below the expected minimum {minimum}");
        }
        return (true, "");
    }

    /// <summary>Every value of the namespace's Secrets found in the text is replaced, longest first (a value may contain another).</summary>
    public static string Redact(string text, IReadOnlyList<string> secrets)
    {
        foreach (var value in secrets) text = text.Replace(value, "[redacted]", StringComparison.Ordinal);
        return text;
    }

    public static string Truncate(string text) => text.Length <= MaxOutput ? text : text[..MaxOutput] + "…";

    private static async Task<IReadOnlyList<string>> SecretValuesAsync(KubeClient target, string ns, CancellationToken ct)
    {
        var values = new List<string>();
        foreach (var secret in (await target.ListAsync(Resources.Secrets, ns, null, ct)).Items)
            foreach (var bytes in (secret.Data ?? []).Values)
            {
                var value = Encoding.UTF8.GetString(bytes).Trim();
                // Short values ("1", "true", "admin") would redact ordinary output; a secret that short protects nothing anyway.
                if (value.Length >= 6) values.Add(value);
            }
        return [.. values.Distinct().OrderByDescending(v => v.Length)];
    }

}
