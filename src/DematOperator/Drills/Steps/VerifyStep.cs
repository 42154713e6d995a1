using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using DematOperator.ServiceLevels;

namespace DematOperator.Drills.Steps;

/// <summary>What a verification looks at; each kind has the reason a run fails with when it never passes.</summary>
public enum CheckKind { Workload, Volume, Http, Job, Data }

public sealed record VerificationCheck(CheckKind Kind, bool Passed, string Text)
{
    public string FailureReason => Kind switch
    {
        CheckKind.Workload => DrillReasons.WorkloadNotReady,
        CheckKind.Volume => DrillReasons.VolumeNotBound,
        CheckKind.Http => DrillReasons.HttpCheckFailed,
        CheckKind.Job => DrillReasons.JobFailed,
        _ => DrillReasons.DataCheckFailed,
    };
}

/// <summary>
/// Proves production is back: every restored Deployment and StatefulSet ready with the replicas the backup gave it,
/// every restored PVC bound, the HTTP checks answering, the Job succeeded, and the data checks (commands run in
/// restored pods) printing what they must. Checks are looked at again until they all pass or `verify.timeout`
/// ends the run with the reason of the first that did not pass. A run without any check proves nothing.
/// </summary>
public sealed class VerifyStep(IProbeRunner probes, DataChecks dataChecks) : IDrillStep
{
    public DrillStepName Name => DrillStepName.Verify;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct)
    {
        var verify = cx.Drill.Spec.Verify ?? new DrillVerify();
        var checks = new List<VerificationCheck>();
        foreach (var ns in cx.TargetNamespaces)
        {
            if (verify.Workloads != false)
                foreach (var kind in ForeignKinds.WorkloadKinds)
                    foreach (var w in (await cx.Target.ListAsync(kind, ns, null, ct)).Items)
                        checks.Add(new(CheckKind.Workload, w.ReadyReplicas >= w.DesiredReplicas, $"{kind.Kind} {ns}/{w.Name} {w.ReadyReplicas}/{w.DesiredReplicas} ready"));
            foreach (var pvc in (await cx.Target.ListAsync(ForeignKinds.PersistentVolumeClaims, ns, null, ct)).Items)
                checks.Add(new(CheckKind.Volume, pvc.IsBound, $"PersistentVolumeClaim {ns}/{pvc.Name} {pvc.Status?.Phase ?? "Pending"}"));
        }
        foreach (var check in verify.Http ?? [])
        {
            var outcome = await probes.RunAsync(cx.Drill.Namespace!, new ProbeSpec
            {
                Name = check.Name, Timeout = "10s",
                Http = new HttpProbeSpec { Url = check.Url, ExpectedStatus = check.ExpectedStatus, InsecureSkipVerify = check.InsecureSkipVerify },
            }, ct);
            checks.Add(new(CheckKind.Http, outcome.Success, $"HTTP {check.Name} {check.Url}: {outcome.Message}"));
        }
        if (verify.Job is { } job)
        {
            var ns = job.Namespace ?? cx.TargetNamespaces.First();
            var name = KubeNames.Fit($"{cx.Run.Name}-verify", 63);
            var existing = await cx.Target.TryGetAsync(ForeignKinds.Jobs, ns, name, ct) ?? await ObjectWriter.CreateOrGetAsync(cx.Target, ForeignKinds.Jobs, new Job
            {
                Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = new() { [DrillMarks.RunLabel] = Backups.RunLabels.LabelValue(cx.Run.Name) } },
                Spec = (System.Text.Json.Nodes.JsonObject)job.Template.DeepClone(),
            }, ct);
            if (existing.Has("Failed"))
                return StepOutcome.Fail(DrillReasons.JobFailed, $"verification Job {ns}/{name} failed: {existing.FailureMessage}");
            checks.Add(new(CheckKind.Job, existing.Has("Complete"), $"Job {ns}/{name} {(existing.Has("Complete") ? "succeeded" : "running")}"));
        }
        if (verify.Exec is { Count: > 0 } exec)
        {
            var evidence = await dataChecks.RunAsync(cx, exec, ct);
            cx.Run.Outputs = evidence;
            checks.AddRange(evidence.Select(e => new VerificationCheck(CheckKind.Data, e.Passed, $"exec {e.Name} in {e.Pod}: {(e.Passed ? "passed" : "not yet")} ({e.Output})")));
        }

        var pending = checks.Where(c => !c.Passed).ToList();
        cx.Run.Checks = [.. checks.Where(c => c.Passed).Select(c => c.Text), .. pending.Select(c => c.Text)];
        if (checks.Count == 0)
            return StepOutcome.Fail(DrillReasons.NoVerification, "no verification ran: nothing restored to check and no HTTP, Job or exec check is configured");
        if (pending.Count == 0)
        {
            cx.Run.VerifiedTime = cx.Now.ToDateTimeOffset();
            return StepOutcome.Done($"{checks.Count} check(s) passed");
        }
        if (cx.StepElapsed > cx.Settings.VerifyTimeout)
            return StepOutcome.Fail(pending[0].FailureReason, $"verification not complete after {Durations.Human(cx.Settings.VerifyTimeout)}: {string.Join("; ", pending.Take(5).Select(c => c.Text))}");
        return StepOutcome.Wait($"waiting for {pending.Count} check(s): {string.Join("; ", pending.Take(3).Select(c => c.Text))}");
    }
}
