using System.Diagnostics;

namespace DematOperator.TestSupport;

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
    public CommandResult ShouldSucceed()
    {
        if (ExitCode != 0) throw new Xunit.Sdk.XunitException($"command failed ({ExitCode}): {Stderr}\n{Stdout}");
        return this;
    }
}

/// <summary>Runs the real kubectl against a kubeconfig, with a timeout, capturing its output.</summary>
public sealed class Kubectl(string kubeconfigPath)
{
    public static string Binary => Environment.GetEnvironmentVariable("KUBECTL") ?? "kubectl";

    public Task<CommandResult> RunAsync(params string[] args) => RunAsync(null, TimeSpan.FromSeconds(60), args);

    public async Task<CommandResult> RunAsync(string? stdin, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfigPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECACHEDIR"] = Path.Combine(Path.GetDirectoryName(kubeconfigPath)!, "cache");
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            return new CommandResult(-1, await stdout, await stderr + "\n(killed after timeout)");
        }
        return new CommandResult(p.ExitCode, await stdout, await stderr);
    }

    public Task<CommandResult> ApplyAsync(string yaml, params string[] extra) => RunAsync(yaml, TimeSpan.FromSeconds(60), ["apply", "-f", "-", .. extra]);
}

/// <summary>Runs a program to its end with a timeout, capturing its output (the CLI verbs of the operator, say).</summary>
public static class Processes
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try { await p.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(60)); }
        catch (TimeoutException) { p.Kill(entireProcessTree: true); throw; }
        return new CommandResult(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>The operator's executable (its assembly) with a verb.</summary>
    public static Task<CommandResult> OperatorAsync(System.Reflection.Assembly executable, IEnumerable<string> args, IDictionary<string, string?>? environment = null) =>
        RunAsync("dotnet", new[] { executable.Location }.Concat(args), environment);
}
