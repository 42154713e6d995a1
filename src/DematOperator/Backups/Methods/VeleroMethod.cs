using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Backups.Methods;

/// <summary>Velero/OADP: one Backup per run in Velero's namespace, covering the target namespaces; deleted through a DeleteBackupRequest.</summary>
public sealed class VeleroMethod(KubeClient client) : IBackupMethod
{
    public BackupMethod Method => BackupMethod.Velero;

    public static string Namespace(BackupPolicy p) => p.Spec.Velero?.Namespace ?? "openshift-adp";

    public async Task CheckInstalledAsync(BackupPolicy policy, CancellationToken ct)
    {
        try { await client.ListAsync(ForeignKinds.VeleroBackups, Namespace(policy), new ListRequest(Limit: 1), ct); }
        catch (KubeApiException e) when (e.Code == 404)
        {
            throw new InvalidPolicyException("VeleroNotInstalled", "the velero.io API is not installed on this cluster (install Velero or OADP)", transient: true);
        }
    }

    public async Task<bool> StartAsync(BackupPolicy policy, BackupSettings settings, string run, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> annotations, CancellationToken ct)
    {
        var velero = policy.Spec.Velero ?? new VeleroOptions();
        var backup = new VeleroBackup
        {
            Metadata = new ObjectMeta { Name = run, Namespace = Namespace(policy), Labels = new(labels), Annotations = new(annotations) },
            Spec = new VeleroBackupSpec
            {
                IncludedNamespaces = [.. settings.Namespaces],
                StorageLocation = velero.StorageLocation ?? "default",
                SnapshotVolumes = velero.SnapshotVolumes ?? true,
                Ttl = velero.Ttl,
                SnapshotMoveData = velero.SnapshotMoveData,
                LabelSelector = policy.Spec.Target.Selector,
            },
        };
        return await RunObjects.CreateAsync(client, ForeignKinds.VeleroBackups, backup, policy, ct);
    }

    public async Task<List<ObservedRun>> ObserveAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct) =>
        [.. (await client.ListAsync(ForeignKinds.VeleroBackups, Namespace(policy), new ListRequest(RunLabels.Selector(policy.Namespace!, policy.Name)), ct)).Items.Select(RunObservation.FromVelero)];

    /// <summary>Through a DeleteBackupRequest, which also removes the data from object storage (deleting the Backup object alone would not).</summary>
    public async Task DeleteAsync(BackupPolicy policy, IReadOnlyList<string> namespaces, string run, CancellationToken ct)
    {
        var veleroNs = Namespace(policy);
        var selector = $"{RunLabels.Selector(policy.Namespace!, policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(run)}";
        foreach (var b in (await client.ListAsync(ForeignKinds.VeleroBackups, veleroNs, new ListRequest(selector), ct)).Items)
        {
            var request = new DeleteBackupRequest
            {
                Metadata = new ObjectMeta { Name = RunLabels.Fit($"{b.Name}-delete", 253), Namespace = veleroNs, Labels = new() { [VeleroLabels.BackupName] = RunLabels.LabelValue(b.Name), [RunLabels.Policy] = RunLabels.LabelValue(policy.Name) } },
                Spec = new DeleteBackupRequestSpec { BackupName = b.Name },
            };
            try { await client.CreateAsync(ForeignKinds.DeleteBackupRequests, request, ct); }
            catch (KubeApiException e) when (e.IsAlreadyExists) { }
        }
    }
}
