using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Api;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>
/// The evidence of one drill run, for the Administration (`report.md`) and for machines (`report.json`):
/// timeline, objectives against what was achieved, backup used, checks and rollback outcome.
/// </summary>
public static class DrillReport
{
    public static (string Markdown, string Json) Render(string ns, string drill, DrillRunStatus run, DrillSettings settings, DrillResult? result, DateTimeOffset? end, string engine)
    {
        var zone = settings.Zone;
        var resultText = result?.ToString() ?? "InProgress";
        string Local(DateTimeOffset? t) => t is { } v ? Instant.FromDateTimeOffset(v).InZone(zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";
        string Human(long? seconds) => seconds is { } s ? Durations.Human(Duration.FromSeconds(s)) : "—";
        bool? rtoMet = run.RtoSeconds is { } rto ? rto <= settings.Rto.TotalSeconds : null;
        bool? rpoMet = run.RpoSeconds is { } rpo ? rpo <= settings.Rpo.TotalSeconds : null;
        string Verdict(bool? met) => met switch { true => "atteint / met", false => "**NON atteint / NOT met**", _ => "non mesuré / not measured" };

        var md = new StringBuilder();
        md.AppendLine($"# Exercice PRA / DR drill — {ns}/{drill} — {run.Name}");
        md.AppendLine();
        md.AppendLine($"- Mode : {run.Mode} ({DrillText.Trigger(run.Trigger)})");
        md.AppendLine($"- Résultat / result : **{resultText}**{(run.FailureCode is { } code ? $" ({code})" : "")}{(run.FailureReason is { } why ? $" — {why}" : "")}");
        md.AppendLine($"- Début (sinistre simulé) / start : {Local(run.StartTime)} ({zone.Id})");
        md.AppendLine($"- Fin / end : {Local(end)}");
        md.AppendLine($"- Site de production joignable / source reachable : {(run.SourceReachable switch { true => "oui / yes", false => "non / no (restore from shared backup storage)", _ => "—" })}");
        md.AppendLine();
        md.AppendLine("## Objectifs / objectives");
        md.AppendLine();
        md.AppendLine("| | objectif | atteint / achieved | verdict |");
        md.AppendLine("|---|---|---|---|");
        md.AppendLine($"| RTO | {Durations.Human(settings.Rto)} | {Human(run.RtoSeconds)} | {Verdict(rtoMet)} |");
        md.AppendLine($"| RPO | {Durations.Human(settings.Rpo)} | {Human(run.RpoSeconds)} | {Verdict(rpoMet)} |");
        md.AppendLine();
        md.AppendLine("## Sauvegarde utilisée / backup used");
        md.AppendLine();
        md.AppendLine($"- Moteur / engine : {engine}");
        md.AppendLine($"- Sauvegarde / backup : {run.BackupName ?? "—"}, données du / data from {Local(run.BackupTime)}");
        foreach (var point in run.RecoveryPoints ?? [])
            md.AppendLine($"  - {point.Namespace} : {point.Name}, données du / data from {Local(point.DataTime)}");
        md.AppendLine($"- Restauration / restore : {run.RestoreName ?? "—"}");
        md.AppendLine($"- Namespaces restaurés / restored : {string.Join(", ", run.CreatedNamespaces ?? [])}");
        md.AppendLine();
        md.AppendLine("## Chronologie / timeline");
        md.AppendLine();
        md.AppendLine("| étape / step | état / state | début / start | fin / end | détail / details |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var s in run.Steps)
            md.AppendLine($"| {s.Name} | {s.State} | {Local(s.StartTime)} | {Local(s.EndTime)} | {(s.Message ?? "").Replace("|", "\\|")} |");
        md.AppendLine();
        md.AppendLine("## Vérifications / checks");
        md.AppendLine();
        foreach (var c in run.Checks ?? []) md.AppendLine($"- {c}");
        if (run.Checks is null or { Count: 0 }) md.AppendLine("- —");
        md.AppendLine();
        if (run.Outputs is { Count: > 0 } outputs)
        {
            md.AppendLine("## Données / data checks");
            md.AppendLine();
            md.AppendLine("| contrôle / check | pod | commande / command | code | sortie / output | verdict |");
            md.AppendLine("|---|---|---|---|---|---|");
            foreach (var o in outputs)
                md.AppendLine($"| {o.Name} | {o.Pod} | `{Cell(o.Command)}` | {o.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "—"} | {Cell(o.Output)} | {(o.Passed ? "ok" : "**échec / failed**")} |");
            md.AppendLine();
        }
        md.AppendLine("## Environnements de test / test environments");
        md.AppendLine();
        foreach (var q in run.Quiesced ?? [])
            md.AppendLine($"- {q.Kind} {q.Namespace}/{q.Name}: {(q.Kind == "CronJob" ? $"suspend {q.Suspend?.ToString().ToLowerInvariant()}" : $"{q.Replicas} replica(s)")}");
        if (run.Quiesced is null or { Count: 0 }) md.AppendLine("- —");
        var rollback = run.Steps.FirstOrDefault(s => s.Name == DrillStepName.Rollback);
        md.AppendLine();
        md.AppendLine($"Retour arrière / rollback : {rollback?.State.ToString() ?? "—"}{(rollback?.Message is { } m ? $" — {m}" : "")}");

        var json = new JsonObject
        {
            ["namespace"] = ns,
            ["drill"] = drill,
            ["run"] = run.Name,
            ["mode"] = run.Mode.ToString(),
            ["trigger"] = DrillText.Trigger(run.Trigger),
            ["result"] = resultText,
            ["failureReason"] = run.FailureReason,
            ["reason"] = run.FailureCode,
            ["start"] = run.StartTime.ToString("O", CultureInfo.InvariantCulture),
            ["end"] = end?.ToString("O", CultureInfo.InvariantCulture),
            ["sourceReachable"] = run.SourceReachable,
            ["objectives"] = new JsonObject { ["rtoSeconds"] = (long)settings.Rto.TotalSeconds, ["rpoSeconds"] = (long)settings.Rpo.TotalSeconds },
            ["achieved"] = new JsonObject { ["rtoSeconds"] = run.RtoSeconds, ["rpoSeconds"] = run.RpoSeconds, ["rtoMet"] = rtoMet, ["rpoMet"] = rpoMet },
            ["backup"] = new JsonObject
            {
                ["engine"] = engine, ["name"] = run.BackupName, ["time"] = run.BackupTime?.ToString("O", CultureInfo.InvariantCulture),
                ["points"] = new JsonArray([.. (run.RecoveryPoints ?? []).Select(p => (JsonNode)new JsonObject
                {
                    ["namespace"] = p.Namespace, ["name"] = p.Name, ["time"] = p.DataTime?.ToString("O", CultureInfo.InvariantCulture),
                })]),
            },
            ["restore"] = run.RestoreName,
            ["restoredNamespaces"] = new JsonArray([.. (run.CreatedNamespaces ?? []).Select(n => (JsonNode)JsonValue.Create(n)!)]),
            ["steps"] = new JsonArray([.. run.Steps.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name.ToString(), ["state"] = s.State.ToString(), ["start"] = s.StartTime?.ToString("O", CultureInfo.InvariantCulture),
                ["end"] = s.EndTime?.ToString("O", CultureInfo.InvariantCulture), ["message"] = s.Message,
            })]),
            ["checks"] = new JsonArray([.. (run.Checks ?? []).Select(c => (JsonNode)JsonValue.Create(c)!)]),
            ["dataChecks"] = new JsonArray([.. (run.Outputs ?? []).Select(o => (JsonNode)new JsonObject
            {
                ["name"] = o.Name, ["pod"] = o.Pod, ["command"] = o.Command, ["exitCode"] = o.ExitCode, ["output"] = o.Output, ["passed"] = o.Passed,
            })]),
            ["quiesced"] = new JsonArray([.. (run.Quiesced ?? []).Select(q => (JsonNode)new JsonObject
            {
                ["kind"] = q.Kind, ["namespace"] = q.Namespace, ["name"] = q.Name, ["replicas"] = q.Replicas, ["suspend"] = q.Suspend,
            })]),
        };
        return (md.ToString(), json.ToJsonString(Api.PeopleJson.Indented));
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("`", "'");
}

