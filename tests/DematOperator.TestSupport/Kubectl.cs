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
