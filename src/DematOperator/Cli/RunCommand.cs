using System.CommandLine;
using System.Net;
using DematOperator.Hosting;

namespace DematOperator.Cli;

/// <summary>`run` (the default verb): the operator itself.</summary>
internal static class RunCommand
{
    public static Command Build()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Path to a kubeconfig (default: KUBECONFIG, in-cluster, ~/.kube/config)" };
        var context = new Option<string?>("--context") { Description = "Kubeconfig context to use" };
        var metrics = new Option<string>("--metrics-bind-address") { Description = "Address of /metrics; 0 disables", DefaultValueFactory = _ => ":8080" };
        var probes = new Option<string>("--health-probe-bind-address") { Description = "Address of /healthz and /readyz; 0 disables", DefaultValueFactory = _ => ":8081" };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Elect a leader so that only one replica reconciles", DefaultValueFactory = _ => true };
        var leaseNs = new Option<string?>("--leader-election-namespace") { Description = "Namespace of the leader Lease (default: the pod's namespace)" };
        var leaseName = new Option<string>("--leader-election-id") { Description = "Name of the leader Lease", DefaultValueFactory = _ => "dematoperator.ops.demat.gouv.fr" };
        var command = new Command("run", "Run the operator (the default verb)");
        foreach (var o in new Option[] { kubeconfig, context, metrics, probes, leaderElect, leaseNs, leaseName }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var options = new OperatorOptions
            {
                Kubeconfig = parse.GetValue(kubeconfig),
                Context = parse.GetValue(context),
                MetricsEndpoint = ParseAddress(parse.GetValue(metrics)!),
                ProbeEndpoint = ParseAddress(parse.GetValue(probes)!),
                LeaderElect = parse.GetValue(leaderElect),
                LeaseNamespace = parse.GetValue(leaseNs),
                LeaseName = parse.GetValue(leaseName)!,
                OtlpEndpoint = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } otlp ? new Uri(otlp) : null,
                OtlpProtocol = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL"),
            };
            return await OperatorHost.RunAsync(options, ct);
        });
        return command;
    }

    /// <summary>controller-runtime's bind-address syntax: `:8080`, `127.0.0.1:8080`, or `0` to disable.</summary>
    internal static IPEndPoint? ParseAddress(string text)
    {
        if (text is "0" or "") return null;
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon] : "";
        var port = int.Parse(colon >= 0 ? text[(colon + 1)..] : text);
        return new IPEndPoint(host.Length == 0 ? IPAddress.Any : IPAddress.Parse(host.Trim('[', ']')), port);
    }
}
