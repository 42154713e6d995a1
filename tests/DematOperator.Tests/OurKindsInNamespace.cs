using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Tests;

/// <summary>
/// One object of each of DematOperator's six kinds in a namespace, written as plain JSON (not through our types), for the
/// tests that prove a rehearsal or a restore brings none of them back: a copied BackupPolicy would back up on the
/// recovery site, a copied ServiceLevel would measure there, a copied PraDrill would rehearse from there.
/// </summary>
public static class OurKindsInNamespace
{
    public static readonly (string Plural, string Kind, string Spec)[] All =
    [
        ("backuppolicies", "BackupPolicy", """{"schedule":"0 3 * * *","method":"Velero","target":{"namespaces":["NS"]}}"""),
        ("servicelevels", "ServiceLevel", """{"tier":"OR","environment":"production"}"""),
        ("certificaterenewals", "CertificateRenewal", """{"secrets":{}}"""),
        ("pradrills", "PraDrill", """{"source":{"namespaces":["NS"]},"backup":{"backupPolicy":"copied-backuppolicy"}}"""),
        ("incidents", "Incident", """{"serviceLevelRef":{"name":"copied-servicelevel"},"severity":"Minor","startTime":"2026-03-01T10:00:00Z"}"""),
        ("restorerequests", "RestoreRequest", """{"backupPolicy":"copied-backuppolicy","dryRun":true}"""),
    ];

    public static ResourceType<DynamicObject> Type(string plural, string kind) => Resources.Dynamic(Group.Name, Group.Version, plural, kind, true);

    /// <summary>Creates `copied-&lt;kind&gt;` of each kind in <paramref name="ns"/>.</summary>
    public static async Task CreateAsync(KubeClient client, string ns)
    {
        foreach (var (plural, kind, spec) in All)
            await client.CreateAsync(Type(plural, kind), new DynamicObject
            {
                Metadata = new ObjectMeta { Name = $"copied-{kind.ToLowerInvariant()}", Namespace = ns },
                Fields = new JsonObject { ["spec"] = JsonNode.Parse(spec.Replace("NS", ns)) },
            });
    }

    /// <summary>Kind/name of every object of our kinds in <paramref name="ns"/>.</summary>
    public static async Task<List<string>> FoundAsync(KubeClient client, string ns)
    {
        var found = new List<string>();
        foreach (var (plural, kind, _) in All)
            found.AddRange((await client.ListAsync(Type(plural, kind), ns)).Items.Select(o => $"{kind}/{o.Name}"));
        return found;
    }
}
