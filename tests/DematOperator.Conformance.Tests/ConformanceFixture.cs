using DematOperator.TestSupport;
using k8s;
using k8s.Models;

namespace DematOperator.Conformance.Tests;

/// <summary>One emulated cluster and the official .NET client configured from the kubeconfig the emulator writes.</summary>
public sealed class ConformanceFixture : SimFixture
{
    private Kubernetes? _client;
    private int _namespaces;

    public Kubernetes Client => _client ??= new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    /// <summary>A fresh namespace per test, so tests share the cluster and not their objects.</summary>
    public async Task<string> NamespaceAsync(string prefix)
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _namespaces)}";
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }
}
