using System.CommandLine;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.ThirdParty;

namespace DematOperator.Dev;

/// <summary>`sim`: serve emulated clusters on 127.0.0.1 until SIGINT/SIGTERM.</summary>
internal static class SimCommand
{
    private const string OperatorNamespace = "dematoperator-system";
    private const string OperatorServiceAccount = "dematoperator";

    private static async Task WritePrivateAsync(string path, string kubeconfig, CancellationToken ct)
    {
        var target = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllTextAsync(target, kubeconfig, ct);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static Command Build()
    {
        var kubeconfigOut = new Option<string>("--kubeconfig-out") { Description = "Where to write the kubeconfig (one context per cluster)", Required = true };
        var clusters = new Option<string>("--clusters") { Description = "Comma-separated cluster names; the first is the current context", DefaultValueFactory = _ => "sbg,rbx" };
        var insecure = new Option<bool>("--insecure-http") { Description = "Serve plain HTTP without authentication instead of HTTPS with bearer tokens" };
        var rbac = new Option<bool>("--rbac") { Description = "Enforce RBAC (Roles and bindings) for every token but the admin's" };
        var crds = new Option<string[]>("--crds") { Description = "Files or folders of CRD YAML to install in every cluster at start", AllowMultipleArgumentsPerToken = true };
        var withoutThirdParty = new Option<bool>("--without-third-party-apis") { Description = "Do not install the Velero, CSI snapshot, cert-manager, Route and prometheus-operator APIs the operator drives" };
        var operatorRbac = new Option<string?>("--operator-rbac")
        {
            Description = "A kustomization folder (config/rbac) applied to every cluster, as kubectl apply -k would; with --operator-kubeconfig-out",
        };
        var operatorKubeconfigOut = new Option<string?>("--operator-kubeconfig-out")
        {
            Description = "Where to write a kubeconfig authenticated as the operator's ServiceAccount (dematoperator-system/dematoperator)",
        };
        var command = new Command("sim", "Run the Kubernetes API emulator (one or more clusters) on 127.0.0.1");
        command.Options.Add(kubeconfigOut);
        command.Options.Add(clusters);
        command.Options.Add(insecure);
        command.Options.Add(rbac);
        command.Options.Add(crds);
        command.Options.Add(withoutThirdParty);
        command.Options.Add(operatorRbac);
        command.Options.Add(operatorKubeconfigOut);
        command.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(clusters)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            await using var host = await SimHost.StartAsync(new SimHostOptions
            {
                Clusters = names, InsecureHttp = parse.GetValue(insecure), RbacEnabled = parse.GetValue(rbac),
            });
            foreach (var server in host.Servers)
            {
                if (!parse.GetValue(withoutThirdParty)) ThirdPartyApis.Install(server.Cluster);
                foreach (var path in parse.GetValue(crds) ?? []) CrdInstaller.InstallPath(server.Cluster, path);
            }
            await WritePrivateAsync(parse.GetValue(kubeconfigOut)!, host.Kubeconfig(), ct);
            if (parse.GetValue(operatorKubeconfigOut) is { } operatorTarget)
            {
                var kustomization = parse.GetValue(operatorRbac) ?? throw new ArgumentException("--operator-kubeconfig-out needs --operator-rbac");
                var tokens = host.Servers.Select(s =>
                {
                    KustomizationInstaller.Apply(s.Cluster, kustomization, OperatorNamespace);
                    return (s.Cluster.Name, s.Cluster.Auth.IssueServiceAccountToken(OperatorNamespace, OperatorServiceAccount));
                }).ToList();
                await WritePrivateAsync(operatorTarget, host.Kubeconfig(tokens), ct);
            }
            foreach (var s in host.Servers) Console.Error.WriteLine($"cluster {s.Cluster.Name}: {s.Url}");
            Console.WriteLine("ready");
            await Console.Out.FlushAsync(ct);
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            return 0;
        });
        return command;
    }
}
