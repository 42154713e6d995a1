using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;

namespace DematOperator.Drills.Steps;

/// <summary>Writes (or rewrites) the run's report ConfigMap next to the PraDrill, on the local cluster: the evidence outlives the drill.</summary>
public sealed class ReportStep(KubeClient local) : IDrillStep
{
    public DrillStepName Name => DrillStepName.Report;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct) => StepOutcome.Done($"report in ConfigMap {await WriteAsync(cx, null, ct)}");

    /// <summary>The report as it stands (<paramref name="result"/> null: in progress), or the final one.</summary>
    public async Task<string> WriteAsync(DrillRunContext cx, DrillResult? result, CancellationToken ct)
    {
        var run = cx.Run;
        var name = KubeNames.Fit($"{run.Name}-report", 253);
        var (md, json) = DrillReport.Render(cx.Drill.Namespace!, cx.Drill.Name, run, cx.Settings, result, result is null ? null : cx.Now.ToDateTimeOffset(), cx.Engine.Engine.ToString());
        var data = new Dictionary<string, string> { ["report.md"] = md, ["report.json"] = json };
        var labels = new Dictionary<string, string> { [DrillMarks.DrillLabel] = RunLabels.LabelValue(cx.Drill.Name), [DrillMarks.RunLabel] = RunLabels.LabelValue(run.Name), ["app.kubernetes.io/managed-by"] = "dematoperator" };
        var existing = await local.TryGetAsync(Resources.ConfigMaps, cx.Drill.Namespace, name, ct);
        if (existing is null)
            await ObjectWriter.CreateOrGetAsync(local, Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = name, Namespace = cx.Drill.Namespace, Labels = labels }, Data = data }, ct);
        else await ObjectWriter.UpdateAsync(local, Resources.ConfigMaps, existing, c => c.Data = data, ct);
        run.Report = name;
        return name;
    }
}
