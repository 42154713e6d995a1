using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Hosting;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;

namespace DematOperator.Tests.Hostile;

/// <summary>Arbitrary specs never crash the checks or the operator: every object gets a condition, and the others go on.</summary>
public sealed class HostileInputTests
{
    /// <summary>What the API server would store (defaulted, pruned, validated), as our type; null when it rejects it.</summary>
    private static T? Parse<T>(string plural, JsonObject spec, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class =>
        HostileSpecs.Admit(plural, spec) is { } admitted ? admitted.Deserialize(info) : null;

    [Fact]
    public void The_offline_checks_of_every_kind_answer_any_spec_without_throwing()
    {
        var now = Instant.FromUtc(2026, 5, 12, 10, 0);
        foreach (var plural in new[] { "backuppolicies", "servicelevels", "pradrills", "certificaterenewals" })
        {
            var causes = HostileSpecs.Specs(plural).Sample(100, 10).Select(s => HostileSpecs.Causes(plural, s, out _)).ToList();
            causes.Count(c => c.Count == 0).ShouldBeGreaterThan(5, $"{plural}: the property must see specs that pass the schema ({causes.Count(c => c.Count == 0)} of {causes.Count}); rejections: " +
                string.Join("; ", causes.Where(c => c.Count > 0).Select(c => c[0]).Take(8)));
        }
        Prop.ForAll(HostileSpecs.Specs("backuppolicies").ToArbitrary(), json =>
        {
            if (Parse("backuppolicies", json, OperatorJsonContext.Default.BackupPolicy) is not { } bp) return true;
            _ = BackupPolicyChecks.Check(bp.Spec, now).ToList();
            return true;
        }).QuickCheckThrowOnFailure();
        Prop.ForAll(HostileSpecs.Specs("servicelevels").ToArbitrary(), json =>
        {
            if (Parse("servicelevels", json, OperatorJsonContext.Default.ServiceLevel) is not { } sl) return true;
            var problems = ServiceLevelChecks.Resolve(sl.Spec, out var settings);
            if (settings is not null)
            {
                // Whatever passed the checks can be measured: a few rounds of the ledger on it.
                var status = new ServiceLevelStatus();
                ServiceLevelLedger.Advance(status, settings, now - Duration.FromDays(40), now, settings.Probes.Select(p => new ProbeOutcome(p.Name, false, "x", TimeSpan.Zero)).ToList());
                ServiceLevelLedger.Advance(status, settings, now - Duration.FromDays(40), now + settings.Interval, settings.Probes.Select(p => new ProbeOutcome(p.Name, true, "x", TimeSpan.Zero)).ToList());
            }
            return problems.All(p => p.Message.Length > 0);
        }).QuickCheckThrowOnFailure();
        Prop.ForAll(HostileSpecs.Specs("pradrills").ToArbitrary(), json =>
        {
            if (Parse("pradrills", json, OperatorJsonContext.Default.PraDrill) is not { } d) return true;
            return PraDrillChecks.Resolve(d.Spec, out _).All(p => p.Message.Length > 0);
        }).QuickCheckThrowOnFailure();
        Prop.ForAll(HostileSpecs.Specs("certificaterenewals").ToArbitrary(), json =>
        {
            if (Parse("certificaterenewals", json, OperatorJsonContext.Default.CertificateRenewal) is not { } c) return true;
            return CertificateRenewalChecks.Resolve(c.Spec, out _).All(p => p.Message.Length > 0);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Pem_garbage_and_kubeconfig_garbage_are_errors_with_messages_not_crashes() =>
        Prop.ForAll(Gen.Elements("-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "\u0000\u0001", new string('A', 100_000), "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n")
            .SelectMany(a => Gen.Elements("", "x", "🙂", "-----END CERTIFICATE-----").Select(b => a + b)).ToArbitrary(), pem =>
        {
            try { Pki.ParseChain(pem, "tls.crt"); } catch (PkiException e) { if (e.Message.Contains(pem[..Math.Min(pem.Length, 40)]) && pem.Length > 40) return false; }
            try { using var k = Pki.ParseKey(pem, "tls.key"); } catch (PkiException) { }
            try { KubeConfigLoader.FromText(pem); }
            catch (Exception e) when (e is InvalidOperationException or FormatException or YamlDotNet.Core.YamlException or UriFormatException) { }
            return true;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public async Task The_operator_answers_every_accepted_hostile_object_with_a_condition_and_keeps_reconciling_the_good_ones()
    {
        await using var host = await OperatorClusters.StartAsync(null, "sbg");
        var endpoint = KubeConfigLoader.FromText(OperatorClusters.OperatorKubeconfig(host, "sbg"), "sbg");
        var metrics = new MetricsRegistry();
        using var client = OperatorClusters.Admin(host, "sbg", options: new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 2 });
        using var operatorClient = new KubeClient(endpoint, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 2 }, metrics);
        await client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "hostile" } });

        var accepted = new List<(string Plural, string Name)>();
        var rejected = 0;
        foreach (var plural in new[] { "backuppolicies", "servicelevels", "pradrills", "certificaterenewals" })
        {
            var type = Resources.Dynamic("ops.demat.gouv.fr", "v1alpha1", plural, "", true);
            var samples = HostileSpecs.Specs(plural).Sample(15, 12);
            for (var i = 0; i < samples.Length; i++)
            {
                var name = $"hostile-{i:D2}";
                try
                {
                    await client.CreateAsync(type, new DynamicObject { Metadata = new ObjectMeta { Name = name, Namespace = "hostile" }, Fields = new JsonObject { ["spec"] = samples[i] } });
                    accepted.Add((plural, name));
                }
                catch (KubeApiException e) when (e.Code is 422 or 400) { rejected++; }
            }
        }
        accepted.Count.ShouldBeGreaterThan(5, "some hostile specs get past the schema");
        rejected.ShouldBeGreaterThan(5, "the schema rejects wrong types");
        await client.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = "good", Namespace = "hostile" }, Spec = new ServiceLevelSpec { Tier = "OR", Environment = "production" } });
        await client.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal { Metadata = new ObjectMeta { Name = "good", Namespace = "hostile" }, Spec = new CertificateRenewalSpec { Secrets = new ObjectSelection() } });

        using var stop = new CancellationTokenSource();
        var manager = OperatorHost.Build(operatorClient, metrics, new OperatorOptions { LeaderElect = false, MetricsEndpoint = null, ProbeEndpoint = null }, endpoint, NullLoggerFactory.Instance);
        var run = Task.Run(() => manager.RunAsync(stop.Token));
        try
        {
            foreach (var (plural, name) in accepted.Append(("servicelevels", "good")).Append(("certificaterenewals", "good")))
            {
                var type = Resources.Dynamic("ops.demat.gouv.fr", "v1alpha1", plural, "", true);
                await Eventually.HoldsAsync(async () =>
                    (await client.GetAsync(type, "hostile", name)).Status?["conditions"] is JsonArray conditions && conditions.Any(c => (string?)c!["type"] == "Ready"),
                    $"{plural}/{name} answered with a Ready condition", TimeSpan.FromSeconds(60));
            }
            Conditions.IsTrue((await client.GetAsync(OperatorKinds.ServiceLevels, "hostile", "good")).Status?.Conditions, "Ready").ShouldBeTrue();
            Conditions.IsTrue((await client.GetAsync(OperatorKinds.CertificateRenewals, "hostile", "good")).Status?.Conditions, "Ready").ShouldBeTrue();
            var panics = metrics.Scrape().Split('\n').Where(l => l.StartsWith("controller_runtime_reconcile_panics_total{", StringComparison.Ordinal)).ToList();
            panics.ShouldNotBeEmpty();
            panics.ShouldAllBe(l => l.EndsWith(" 0"), "no reconcile ever threw out of a reconciler");
        }
        finally
        {
            await stop.CancelAsync();
            try { await run; } catch (OperationCanceledException) { }
        }
    }
}
