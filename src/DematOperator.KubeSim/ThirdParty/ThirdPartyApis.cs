using System.Reflection;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.ThirdParty;

/// <summary>
/// The third-party APIs DematOperator drives (Velero, CSI snapshots, cert-manager, OpenShift Routes,
/// prometheus-operator), described by this project: the fields the operator and the simulated controllers read or
/// write, with their types and constraints. The emulator prunes what a schema does not name, so a field missing here
/// fails the tests that use it; ThirdPartyApiFidelityTests checks these against the upstream CRDs when they are at hand.
/// </summary>
public static class ThirdPartyApis
{
    private const string Prefix = "DematOperator.KubeSim.ThirdParty.";

    /// <summary>File name and YAML text of each CustomResourceDefinition, in name order.</summary>
    public static IReadOnlyList<(string File, string Yaml)> Definitions { get; } = Load();

    /// <summary>Installs all of them; returns how many were new.</summary>
    public static int Install(SimCluster cluster) => Definitions.Sum(d => CrdInstaller.InstallYaml(cluster, d.Yaml));

    private static List<(string, string)> Load()
    {
        var assembly = typeof(ThirdPartyApis).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n[Prefix.Length..], reader.ReadToEnd());
            }).ToList();
    }
}

/// <summary>Installs CustomResourceDefinitions from YAML into an emulated cluster, as `kubectl create` would.</summary>
public static class CrdInstaller
{
    /// <summary>Every CustomResourceDefinition in a YAML text (several documents allowed); returns how many were new.</summary>
    public static int InstallYaml(SimCluster cluster, string yaml) =>
        Install(cluster, YamlDocuments.ParseObjects(yaml).Where(o => (string?)o["kind"] == "CustomResourceDefinition"));

    /// <summary>A YAML file, or every .yaml/.yml file of a folder.</summary>
    public static int InstallPath(SimCluster cluster, string path)
    {
        var files = Directory.Exists(path)
            ? (IEnumerable<string>)Directory.EnumerateFiles(path, "*.yaml").Concat(Directory.EnumerateFiles(path, "*.yml")).Order()
            : [path];
        return files.Sum(f => InstallYaml(cluster, File.ReadAllText(f)));
    }

    public static int Install(SimCluster cluster, IEnumerable<JsonObject> crds)
    {
        var def = cluster.Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        var count = 0;
        foreach (var crd in crds)
        {
            try { cluster.Create(RequestContext.System, def, null, crd); count++; }
            catch (KubeApiException e) when (e.IsAlreadyExists) { }
        }
        return count;
    }
}
