using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>The outcome of installing new material: the object as stored, or a lost race to read again.</summary>
public sealed record InstallResult(bool Conflicted, int Revision, DynamicObject? Stored);

/// <summary>
/// The writes of certificate renewal, each with the discipline it needs: the previous material kept first, the new
/// material written in one update carrying the resourceVersion that was read (all old or all new, a concurrent change
/// wins), workloads rolled only once the Secret holds the new serial, cert-manager re-issuance through its status.
/// </summary>
public sealed class CertificateWrites(KubeClient client, EventRecorder events)
{
    public const string RenewedAtAnnotation = Group.AnnotationPrefix + "renewed-at";
    public const string SerialAnnotation = Group.AnnotationPrefix + "serial";
    public const string RevisionAnnotation = Group.AnnotationPrefix + "revision";
    public const string PreviousOfAnnotation = Group.AnnotationPrefix + "previous-of";
    /// <summary>On a Secret created for spec.certificates: the uid of the CertificateRenewal that created it.</summary>
    public const string CreatedByLabel = Group.AnnotationPrefix + "created-by";
    public static readonly ResourceType<DynamicObject> Routes = Resources.Dynamic("route.openshift.io", "v1", "routes", "Route", true);
    private static readonly ResourceType<DynamicObject> SecretsDynamic = Resources.Dynamic("", "v1", "secrets", "Secret", true);

    public static string Stamp(Instant at) => at.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string PreviousName(CertificateSource source, string name) =>
        KubeNames.Fit(source == CertificateSource.Route ? $"route-{name}-previous" : $"{name}-previous", 253);

    /// <summary>
    /// Replaces a Secret's certificate and key, after copying the current material to `&lt;name&gt;-previous` (which
    /// shares the Secret's creator and owner, so that it goes where the Secret goes).
    /// </summary>
    public async Task<InstallResult> ReplaceSecretAsync(DynamicObject secret, RenewedCertificate material, Instant now, CancellationToken ct)
    {
        var data = secret.Fields?["data"] as JsonObject ?? new JsonObject();
        // The previous material first: whatever happens next, an ops engineer can roll back by hand.
        await KeepPreviousAsync(secret.Namespace!, PreviousName(CertificateSource.Secret, secret.Name), data, secret.Name, now, ct,
            secret.Metadata.Labels?.GetValueOrDefault(CreatedByLabel), secret.Metadata.OwnerReferences);
        var revision = int.TryParse(secret.Metadata.Annotations?.GetValueOrDefault(RevisionAnnotation), out var r) ? r + 1 : 1;
        var updated = ObjectWriter.Copy(SecretsDynamic, secret);
        Stamp(updated.Metadata, material, now, revision);
        updated.Fields!["data"] = Data(material);
        try { return new(false, revision, await client.UpdateAsync(SecretsDynamic, updated, ct)); }
        catch (KubeApiException e) when (e.IsConflict) { return new(true, revision, null); }
    }

    /// <summary>Creates the Secret of a listed certificate; an existing one (made meanwhile by someone) is a lost race.</summary>
    public async Task<InstallResult> CreateSecretAsync(CertificateRenewal cr, string name, RenewedCertificate material, bool owned, Instant now, CancellationToken ct)
    {
        var secret = new DynamicObject
        {
            Metadata = new ObjectMeta
            {
                Name = name, Namespace = cr.Namespace,
                Labels = new() { [KubeNames.ManagedByLabel] = KubeNames.ManagedByValue, [CreatedByLabel] = cr.Metadata.Uid ?? "" },
                Annotations = new() { [Group.AnnotationPrefix + "certificaterenewal"] = cr.Name },
                OwnerReferences = owned ? [OwnerOf(cr)] : null,
            },
            Fields = new JsonObject { ["type"] = "kubernetes.io/tls", ["data"] = Data(material) },
        };
        Stamp(secret.Metadata, material, now, 1);
        try { return new(false, 1, await client.CreateAsync(SecretsDynamic, secret, ct)); }
        catch (KubeApiException e) when (e.IsAlreadyExists) { return new(true, 1, null); }
    }

    /// <summary>Replaces a Route's inline certificate and key (and caCertificate when it has one), after keeping the previous material.</summary>
    public async Task<InstallResult> ReplaceRouteAsync(DynamicObject route, RenewedCertificate material, Instant now, CancellationToken ct)
    {
        var tls = route.Spec?["tls"] as JsonObject ?? new JsonObject();
        var previous = new JsonObject
        {
            ["tls.crt"] = Base64((string?)tls["certificate"] ?? ""),
            ["tls.key"] = Base64((string?)tls["key"] ?? ""),
        };
        if ((string?)tls["caCertificate"] is { } oldCa) previous["ca.crt"] = Base64(oldCa);
        await KeepPreviousAsync(route.Namespace!, PreviousName(CertificateSource.Route, route.Name), previous, $"route {route.Name}", now, ct);
        var newTls = new JsonObject { ["certificate"] = material.CertificateChainPem, ["key"] = material.PrivateKeyPem };
        if (tls["caCertificate"] is not null) newTls["caCertificate"] = material.CaPem;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = route.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject { [RenewedAtAnnotation] = Stamp(now), [SerialAnnotation] = material.Facts.Serial },
            },
            ["spec"] = new JsonObject { ["tls"] = newTls },
        };
        try { return new(false, 0, await client.PatchAsync(Routes, route.Namespace, route.Name, PatchType.Merge, patch.ToJsonString(), ct: ct)); }
        catch (KubeApiException e) when (e.IsConflict) { return new(true, 0, null); }
    }

    private static void Stamp(ObjectMeta meta, RenewedCertificate material, Instant now, int revision)
    {
        meta.Annotations ??= [];
        meta.Annotations[RenewedAtAnnotation] = Stamp(now);
        meta.Annotations[SerialAnnotation] = material.Facts.Serial;
        meta.Annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
    }

    private static JsonObject Data(RenewedCertificate material) => new()
    {
        ["tls.crt"] = Base64(material.CertificateChainPem),
        ["tls.key"] = Base64(material.PrivateKeyPem),
        ["ca.crt"] = Base64(material.CaPem),
    };

    private static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    private async Task KeepPreviousAsync(string ns, string name, JsonObject data, string of, Instant now, CancellationToken ct,
        string? createdBy = null, List<OwnerReference>? owners = null)
    {
        var previous = new DynamicObject
        {
            Metadata = new ObjectMeta
            {
                Name = name, Namespace = ns,
                Labels = new() { [KubeNames.ManagedByLabel] = KubeNames.ManagedByValue },
                Annotations = new() { [PreviousOfAnnotation] = of, [RenewedAtAnnotation] = Stamp(now) },
                OwnerReferences = owners?.ToList(),
            },
            Fields = new JsonObject { ["type"] = "kubernetes.io/tls", ["data"] = data.DeepClone() },
        };
        if (createdBy is not null) previous.Metadata.Labels[CreatedByLabel] = createdBy;
        try { await client.CreateAsync(SecretsDynamic, previous, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await client.GetAsync(SecretsDynamic, ns, name, ct);
            existing.Fields!["data"] = data.DeepClone();
            existing.Metadata.Annotations = previous.Metadata.Annotations;
            existing.Metadata.Labels = previous.Metadata.Labels;
            existing.Metadata.OwnerReferences = previous.Metadata.OwnerReferences;
            await client.UpdateAsync(SecretsDynamic, existing, ct);
        }
    }

    private static OwnerReference OwnerOf(CertificateRenewal cr) =>
        new() { ApiVersion = Group.ApiVersion, Kind = "CertificateRenewal", Name = cr.Name, Uid = cr.Metadata.Uid ?? "" };

    public static bool IsOwnedBy(KubeObject o, CertificateRenewal cr) => o.Metadata.OwnerReferences?.Any(r => r.Uid == cr.Metadata.Uid) == true;

    /// <summary>
    /// deletionPolicy on a created Secret: owned by the resource (Delete: the garbage collector deletes it with the
    /// resource) or not (Retain); released altogether when it left the list.
    /// </summary>
    public async Task SetOwnershipAsync(Secret secret, CertificateRenewal cr, bool owned, bool keepClaim, CancellationToken ct)
    {
        var others = secret.Metadata.OwnerReferences?.Where(r => r.Uid != cr.Metadata.Uid).ToList() ?? [];
        if (owned) others.Add(OwnerOf(cr));
        secret.Metadata.OwnerReferences = others.Count > 0 ? others : null;
        if (!keepClaim) secret.Metadata.Labels?.Remove(CreatedByLabel);
        await client.UpdateAsync(Resources.Secrets, secret, ct);
    }

    /// <summary>
    /// `cmctl renew`: the Certificate's Issuing condition, reason ManuallyTriggered, through its status subresource; a
    /// merge patch of the conditions guarded by the resourceVersion read. False when a re-issuance already runs.
    /// </summary>
    public async Task<bool?> TriggerCertManagerAsync(string ns, string certificateName, Instant now, CancellationToken ct)
    {
        var certificate = await client.TryGetAsync(ForeignKinds.CertManagerCertificates, ns, certificateName, ct)
            ?? throw new PkiException($"cert-manager Certificate {certificateName} not found");
        var conditions = certificate.Status?.Conditions ?? [];
        if (Conditions.IsTrue(conditions, CertManagerConditions.Issuing)) return false;
        var next = conditions.Where(c => c.Type != CertManagerConditions.Issuing).ToList();
        next.Add(new Condition
        {
            Type = CertManagerConditions.Issuing, Status = "True", Reason = CertManagerConditions.ManuallyTriggered,
            Message = CertManagerConditions.ManuallyTriggeredMessage, LastTransitionTime = now.ToDateTimeOffset(),
            ObservedGeneration = certificate.Metadata.Generation,
        });
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = certificate.Metadata.ResourceVersion },
            ["status"] = new JsonObject { ["conditions"] = JsonSerializer.SerializeToNode(next, ForeignJsonContext.Default.ListCondition) },
        };
        try { await client.PatchAsync(ForeignKinds.CertManagerCertificates, ns, certificateName, PatchType.Merge, patch.ToJsonString(), "status", ct); }
        catch (KubeApiException e) when (e.IsConflict) { return null; }
        return true;
    }

    /// <summary>Rolls the workloads that use a Secret renewed by us, once per serial, never a paused Deployment. Returns what was not rolled.</summary>
    public async Task<List<string>> RollOutAsync(CertificateRenewal cr, DynamicObject secret, CancellationToken ct)
    {
        var notes = new List<string>();
        if (secret.Metadata.Annotations?.GetValueOrDefault(SerialAnnotation) is not { } serial) return notes;
        var annotation = Group.AnnotationPrefix + KubeNames.Fit($"cert-{secret.Name}", 63);
        foreach (var type in ForeignKinds.WorkloadKinds)
            foreach (var w in (await client.ListAsync(type, secret.Namespace, null, ct)).Items)
            {
                var template = w.Spec?.Template;
                if (template is null || !UsesSecret(template.Spec, secret.Name)) continue;
                if (template.Metadata?.Annotations?.GetValueOrDefault(annotation) == serial) continue;
                if (type == ForeignKinds.Deployments && w.Spec?.Paused == true)
                {
                    notes.Add($"Deployment {w.Name} is paused: not rolled");
                    continue;
                }
                var patch = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [annotation] = serial } } } } };
                using var because = KubeClient.Because($"CertificateRenewal {cr.Namespace}/{cr.Name} rolls {type.Kind} {w.Namespace}/{w.Name} for Secret {secret.Name}");
                await client.PatchAsync(type, w.Namespace, w.Name, PatchType.Merge, patch.ToJsonString(), ct: ct);
                await events.NormalAsync(cr, "RolledOut", $"{type.Kind} {w.Namespace}/{w.Name} rolled for the renewed certificate of Secret {secret.Name} (serial {serial})", ct);
            }
        return notes;
    }

    private static bool UsesSecret(PodSpec? pod, string secret)
    {
        if (pod is null) return false;
        foreach (var v in pod.Volumes ?? [])
        {
            if (v.Secret?.SecretName == secret) return true;
            if ((v.Projected?.Sources ?? []).Any(s => s.Secret?.Name == secret)) return true;
        }
        foreach (var c in (pod.Containers ?? []).Concat(pod.InitContainers ?? []))
        {
            if ((c.EnvFrom ?? []).Any(e => e.SecretRef?.Name == secret)) return true;
            if ((c.Env ?? []).Any(e => e.ValueFrom?.SecretKeyRef?.Name == secret)) return true;
        }
        return false;
    }
}
