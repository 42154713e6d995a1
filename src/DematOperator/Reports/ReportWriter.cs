using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Reports;

/// <summary>
/// The monthly report in editable formats: Markdown for people (French headings, two decimals, dates in the
/// report's time zone), one CSV per table for spreadsheets, JSON for machines.
/// </summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string Pct(double? ratio) => ratio is { } r ? (r * 100).ToString("0.00", Inv) + " %" : "—";
    private static string IndicatorVerdict(IndicatorRow i) => FrenchTerms.IndicatorVerdict(i) is var (kind, text) && kind is FrenchTerms.Judgement.NotMet or FrenchTerms.Judgement.Insufficient ? $"**{text}**" : text;
    private static string Met(bool? met) => met switch { true => "atteint", false => "**non atteint**", _ => "—" };
    /// <summary>The verdict by the honest rule: no verdict below the coverage threshold, and no figure without service time.</summary>
    private static string Verdict(AvailabilityFigure f) => f.InsufficientData ? "**données insuffisantes**" : f.Coverage is null ? "sans objet" : Met(f.Met);
    private static string Range(AvailabilityFigure f) => f.Low is { } low && f.High is { } high && Math.Abs(high - low) > 1e-9 ? $"{Pct(low)} – {Pct(high)}" : "—";
    private static string Date(MonthlyServiceReport r, Instant? i) => i is { } v ? MonthlyServiceReport.Local(v, r.Zone) : "—";
    private static string Human(Duration? d) => d is { } v ? v.TotalHours.ToString("0.00", Inv) + " h" : "—";
    private static string Cell(string? s) => (s ?? "").Replace("|", "\\|").Replace("\n", " ");

    /// <summary>Which clusters the figures come from, and which could not be read: a missing cluster is said, never read as "nothing there".</summary>
    public static string SourcesText(MonthlyServiceReport r)
    {
        var read = r.Sources.Where(c => c.Read).Select(c => c.Name).ToList();
        var text = $"Clusters lus : {(read.Count == 0 ? "aucun" : string.Join(", ", read))}.";
        var unread = r.Sources.Where(c => !c.Read).ToList();
        return unread.Count == 0 ? text
            : text + $" **Clusters non lus** : {string.Join("; ", unread.Select(c => $"{c.Name} ({c.Error})"))} — leurs chiffres manquent à ce rapport.";
    }

    /// <summary>No successful drill on the clusters read: an unread cluster may hold one, and the text says so.</summary>
    public static string NoSuccessfulDrill(MonthlyServiceReport r) => r.Unread.Count == 0
        ? "aucun exercice réussi : échéance dépassée"
        : $"aucun exercice réussi sur les clusters lus ; {string.Join(", ", r.Unread)} non lu(s) : à vérifier";

    public static string Markdown(MonthlyServiceReport r)
    {
        var md = new StringBuilder();
        // Invariant globalization has no French month names: they are spelled here.
        string[] months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
        var monthName = $"{months[r.Month.Month - 1]} {r.Month.Year}";
        md.AppendLine($"# Rapport mensuel de service — {r.Month.ToString("yyyy-MM", Inv)}");
        md.AppendLine();
        md.AppendLine($"Généré le {Date(r, r.GeneratedAt)} ({r.Zone.Id}) par DematOperator à partir de l'état des clusters. Mois : {monthName}.");
        md.AppendLine();
        md.AppendLine(SourcesText(r));
        md.AppendLine();
        md.AppendLine("## Indicateurs du contrat");
        md.AppendLine();
        md.AppendLine("| indicateur | palier | environnement | valeur | objectif | verdict | signification |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var i in r.Indicators)
            md.AppendLine($"| {i.Indicator} | {i.Tier} | {i.Environment} | {FrenchTerms.IndicatorValue(i)} | {(i.Objective is { } o ? $"≥ {Pct(o)}" : "—")} | {IndicatorVerdict(i)} | {Cell(i.Meaning)} |");
        if (r.Indicators.Count == 0) md.AppendLine("| — | | | | | | aucun ServiceLevel |");
        md.AppendLine();
        md.AppendLine("## Disponibilité (IND_DISP01-03)");
        md.AppendLine();
        md.AppendLine("Le temps sans mesure n'est jamais compté comme disponible : la couverture est la part du temps de service mesurée, la fourchette compte ce temps indisponible puis disponible, et sous le seuil de couverture (90 % par défaut) il n'y a pas de verdict.");
        md.AppendLine();
        md.AppendLine("| palier | environnement | objectif | disponibilité | fourchette | couverture | verdict | temps de service | indisponibilité | sans mesure | ServiceLevels |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var g in r.AvailabilityByTier)
            md.AppendLine($"| {g.Tier} | {g.Environment} | {Pct(g.Objective)} | {Pct(g.Availability)} | {Range(g.Figure)} | {Pct(g.Figure.Coverage)} | {Verdict(g.Figure)} | {MonthlyServiceReport.Hours(g.ServiceSeconds)} | {MonthlyServiceReport.Hours(g.DowntimeSeconds)} | {MonthlyServiceReport.Hours(g.UnknownSeconds)} | {g.ServiceLevels} |");
        md.AppendLine();
        md.AppendLine("| cluster | ServiceLevel | palier | environnement | objectif | disponibilité | fourchette | couverture | verdict | sans exclusion | service | indisponibilité | sans mesure | maintenance | remarque |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var a in r.Availability)
            md.AppendLine($"| {a.Cluster} | {a.Namespace}/{a.Name} | {a.Tier} | {a.Environment} | {Pct(a.Objective)} | {Pct(a.Availability)} | {Range(a.Figure)} | {Pct(a.Figure.Coverage)} | {Verdict(a.Figure)} | {Pct(a.WithoutExclusions)} | {MonthlyServiceReport.Hours(a.ServiceSeconds)} | {MonthlyServiceReport.Hours(a.DowntimeSeconds)} | {MonthlyServiceReport.Hours(a.UnknownSeconds)} | {MonthlyServiceReport.Hours(a.MaintenanceSeconds)} | {Cell(a.Note)} |");
        md.AppendLine();
        md.AppendLine("« sans exclusion » : la disponibilité si ni les maintenances ni les arrêts planifiés n'étaient exclus du temps de service.");
        md.AppendLine();
        md.AppendLine("### Maintenances du mois");
        md.AppendLine();
        if (r.Maintenance.Count == 0) md.AppendLine("Aucune fenêtre de maintenance déclarée.");
        else
        {
            md.AppendLine("| ServiceLevel | début | fin | impact | accord de l'Administration | exclue du temps de service | objet |");
            md.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var w in r.Maintenance)
                md.AppendLine($"| {w.ServiceLevel} | {Date(r, w.Start)} | {Date(r, w.End)} | {w.Impact switch { "None" => "aucun", "Degraded" => "dégradé", _ => "interruption" }} | {Cell(w.ApprovalRef ?? "**aucun**")} | {(w.Excluded ? "oui" : "non")} | {Cell(w.Description ?? "")} |");
        }
        md.AppendLine();
        md.AppendLine("## Incidents (IND_INC01-03, IND_SUP01-03)");
        md.AppendLine();
        md.AppendLine("| priorité | incidents | résolus | dans la GTR | taux GTR | ouverts en fin de mois |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var i in r.Incidents)
            md.AppendLine($"| {FrenchTerms.Severity(i.Severity)} | {i.Count} | {i.Resolved} | {i.WithinGtr} | {Pct(i.WithinGtrRatio)} | {i.OpenAtMonthEnd} |");
        md.AppendLine();
        if (r.IncidentList.Count > 0)
        {
            md.AppendLine("| ServiceLevel | priorité | début | fin | échéance GTR | dans la GTR | cause | ticket |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var i in r.IncidentList)
                md.AppendLine($"| {i.ServiceLevel} | {FrenchTerms.Severity(i.Severity)} | {Date(r, i.Start)} | {Date(r, i.End)} | {Date(r, i.Deadline)} | {(i.WithinGtr switch { true => "oui", false => "non", _ => "en cours" })} | {FrenchTerms.Cause(i.Cause, i.Withdrawn)} | {Cell(i.Ticket ?? "")} |");
            md.AppendLine();
        }
        md.AppendLine("## Sauvegardes");
        md.AppendLine();
        md.AppendLine("| cluster | politique | méthode | RPO | temps avec RPO respecté | réussies | dont cohérentes applicativement | échouées | créneaux manqués | point de reprise le plus ancien | remarque |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var b in r.Backups)
            md.AppendLine($"| {b.Cluster} | {b.Namespace}/{b.Policy} | {b.Method} | {Human(b.Rpo)} | {Pct(b.RpoMetRatio)} | {b.Succeeded} | {b.ApplicationConsistent} | {b.Failed} | {b.Missed} | {Human(b.OldestRecoveryPointAge)} | {Cell(b.Note)} |");
        md.AppendLine();
        md.AppendLine("## Plan de reprise d'activité (PRA)");
        md.AppendLine();
        md.AppendLine($"- Dernier exercice réussi : {Date(r, r.Pra.LastSuccess)}{(r.Pra.LastSuccessDrill is { } lastDrill ? $" ({lastDrill}, RTO {Human(r.Pra.LastRtoSeconds is { } s ? Duration.FromSeconds(s) : null)}, RPO {Human(r.Pra.LastRpoSeconds is { } p ? Duration.FromSeconds(p) : null)})" : "")}");
        md.AppendLine($"- Jours avant l'échéance annuelle : {(r.Pra.DaysUntilYearlyDeadline is { } days ? days.ToString(Inv) : NoSuccessfulDrill(r))}");
        md.AppendLine();
        if (r.Drills.Count > 0)
        {
            md.AppendLine("| exercice | mode | résultat | début | RTO | RPO | objectifs | rapport |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var d in r.Drills)
                md.AppendLine($"| {d.Namespace}/{d.Drill} {d.Run} | {FrenchTerms.Mode(d.Mode)} | {FrenchTerms.Result(d.Result)} | {Date(r, d.Start)} | {Human(d.RtoSeconds is { } a ? Duration.FromSeconds(a) : null)} | {Human(d.RpoSeconds is { } b ? Duration.FromSeconds(b) : null)} | {(d.RtoMet == true && d.RpoMet == true ? "atteints" : d.RtoMet is null ? "—" : "**non atteints**")} | {d.Report} |");
        }
        else md.AppendLine("Aucun exercice ce mois-ci.");
        md.AppendLine();
        md.AppendLine("## Certificats");
        md.AppendLine();
        void Certificates(string title, IReadOnlyList<CertificateRow> rows)
        {
            md.AppendLine($"{title} : {rows.Count}");
            md.AppendLine();
            if (rows.Count == 0) return;
            // The report is French: the reason is said in French; the operator's own (English) message stays in the JSON and CSV.
            md.AppendLine("| cluster | source | objet | sujet | état | expiration | renouvelé le | raison |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var c in rows)
                md.AppendLine($"| {c.Cluster} | {c.Source} | {c.Namespace}/{c.Name} | {Cell(c.Subject)} | {FrenchTerms.CertificateState(c.State)} | {Date(r, c.NotAfter)} "
                              + $"| {Date(r, c.LastRenewal)} | {FrenchTerms.CertificateReason(c.Reason)} |");
            md.AppendLine();
        }
        Certificates("Renouvelés ce mois-ci", r.RenewedCertificates);
        Certificates("En erreur ou expirés", r.FailingCertificates);
        Certificates("Expirant sous 30 jours", r.ExpiringCertificates);
        md.AppendLine("## Supervision des composants de production");
        md.AppendLine();
        md.AppendLine($"Part des Deployments et StatefulSets des namespaces `{ReportSnapshot.EnvironmentLabel}=production` sondés par au moins un ServiceLevel : {Pct(r.CoverageRatio)} ({r.Coverage.Count(c => c.Covered)}/{r.Coverage.Count}).");
        var uncovered = r.Coverage.Where(c => !c.Covered).ToList();
        if (uncovered.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Non couverts : " + string.Join(", ", uncovered.Select(c => $"{c.Kind} {c.Namespace}/{c.Name} ({c.Cluster})")));
        }
        return md.ToString();
    }

    /// <summary>One CSV per table (RFC 4180, `,` separator, `.` decimals, ISO dates in the report's zone).</summary>
    public static Dictionary<string, string> Csv(MonthlyServiceReport r)
    {
        string Iso(Instant? i) => i is { } v ? Api.PersonTime.Format(v, r.Zone) : "";
        static string F(double? d) => d is { } v ? v.ToString("0.######", Inv) : "";
        static string Q(string? s) => s is null ? "" : s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        static string Table(string header, IEnumerable<string> rows) => header + "\n" + string.Concat(rows.Select(x => x + "\n"));
        return new Dictionary<string, string>
        {
            ["clusters.csv"] = Table("cluster,read,error", r.Sources.Select(c => string.Join(",", Q(c.Name), c.Read ? "true" : "false", Q(c.Error)))),
            ["availability.csv"] = Table("cluster,namespace,servicelevel,tier,environment,objective,availability,availability_low,availability_high,coverage,insufficient_data,met,service_seconds,downtime_seconds,unknown_seconds,maintenance_seconds,note",
                r.Availability.Select(a => string.Join(',', Q(a.Cluster), Q(a.Namespace), Q(a.Name), a.Tier, Q(a.Environment), F(a.Objective), F(a.Availability), F(a.Figure.Low), F(a.Figure.High), F(a.Figure.Coverage),
                    a.Figure.InsufficientData ? "true" : "false", a.Met?.ToString().ToLowerInvariant() ?? "", a.ServiceSeconds, a.DowntimeSeconds, a.UnknownSeconds, a.MaintenanceSeconds, Q(a.Note)))),
            ["availability-by-tier.csv"] = Table("tier,environment,objective,availability,availability_low,availability_high,coverage,insufficient_data,met,service_seconds,downtime_seconds,unknown_seconds,servicelevels",
                r.AvailabilityByTier.Select(g => string.Join(',', g.Tier, Q(g.Environment), F(g.Objective), F(g.Availability), F(g.Figure.Low), F(g.Figure.High), F(g.Figure.Coverage),
                    g.Figure.InsufficientData ? "true" : "false", g.Met?.ToString().ToLowerInvariant() ?? "", g.ServiceSeconds, g.DowntimeSeconds, g.UnknownSeconds, g.ServiceLevels))),
            ["maintenance.csv"] = Table("cluster,servicelevel,start,end,impact,approval_ref,excluded,description",
                r.Maintenance.Select(w => string.Join(',', Q(w.Cluster), Q(w.ServiceLevel), Iso(w.Start), Iso(w.End), w.Impact, Q(w.ApprovalRef), w.Excluded ? "true" : "false", Q(w.Description)))),
            ["indicators.csv"] = Table("indicator,tier,environment,value,objective,met,meaning",
                r.Indicators.Select(i => string.Join(',', i.Indicator, i.Tier, Q(i.Environment), F(i.Value), F(i.Objective), i.Met?.ToString().ToLowerInvariant() ?? "", Q(i.Meaning)))),
            ["incidents-by-severity.csv"] = Table("severity,count,resolved,within_gtr,within_gtr_ratio,open_at_month_end",
                r.Incidents.Select(i => string.Join(',', i.Severity, i.Count, i.Resolved, i.WithinGtr, F(i.WithinGtrRatio), i.OpenAtMonthEnd))),
            ["incidents.csv"] = Table("cluster,servicelevel,severity,start,end,deadline,within_gtr,cause,ticket,gti_seconds",
                r.IncidentList.Select(i => string.Join(',', Q(i.Cluster), Q(i.ServiceLevel), i.Severity, Iso(i.Start), Iso(i.End), Iso(i.Deadline), i.WithinGtr?.ToString().ToLowerInvariant() ?? "",
                    i.Withdrawn ? "Withdrawn" : i.Cause ?? "Platform", Q(i.Ticket), i.GtiSeconds?.ToString(Inv) ?? ""))),
            ["backups.csv"] = Table("cluster,namespace,policy,method,rpo_seconds,rpo_met_ratio,succeeded,application_consistent,failed,missed,oldest_recovery_point_age_seconds,note",
                r.Backups.Select(b => string.Join(',', Q(b.Cluster), Q(b.Namespace), Q(b.Policy), b.Method, (long)b.Rpo.TotalSeconds, F(b.RpoMetRatio), b.Succeeded, b.ApplicationConsistent, b.Failed, b.Missed, b.OldestRecoveryPointAge is { } o ? ((long)o.TotalSeconds).ToString(Inv) : "", Q(b.Note)))),
            ["pra.csv"] = Table("cluster,namespace,drill,run,mode,result,start,rto_seconds,rpo_seconds,rto_met,rpo_met,report",
                r.Drills.Select(d => string.Join(',', Q(d.Cluster), Q(d.Namespace), Q(d.Drill), Q(d.Run), d.Mode, d.Result, Iso(d.Start), d.RtoSeconds?.ToString(Inv) ?? "", d.RpoSeconds?.ToString(Inv) ?? "", d.RtoMet?.ToString().ToLowerInvariant() ?? "", d.RpoMet?.ToString().ToLowerInvariant() ?? "", Q(d.Report)))),
            ["certificates.csv"] = Table("category,cluster,source,namespace,name,subject,state,not_after,last_renewal,message",
                new[] { ("renewed", r.RenewedCertificates), ("failing", r.FailingCertificates), ("expiring", r.ExpiringCertificates) }
                    .SelectMany(t => t.Item2.Select(c => string.Join(',', t.Item1, Q(c.Cluster), c.Source, Q(c.Namespace), Q(c.Name), Q(c.Subject), c.State, Iso(c.NotAfter), Iso(c.LastRenewal), Q(c.Message))))),
            ["coverage.csv"] = Table("cluster,kind,namespace,name,covered",
                r.Coverage.Select(c => string.Join(',', Q(c.Cluster), c.Kind, Q(c.Namespace), Q(c.Name), c.Covered ? "true" : "false"))),
        };
    }

    public static string Json(MonthlyServiceReport r)
    {
        string? Iso(Instant? i) => i?.InZone(r.Zone).ToOffsetDateTime().ToString("uuuu-MM-dd'T'HH:mm:sso<G>", Inv);
        var json = new JsonObject
        {
            ["month"] = r.Month.ToString("yyyy-MM", Inv),
            ["clusters"] = new JsonArray([.. r.Sources.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["read"] = c.Read, ["error"] = c.Error })]),
            ["timeZone"] = r.Zone.Id,
            ["generatedAt"] = Iso(r.GeneratedAt),
            ["maintenance"] = new JsonArray([.. r.Maintenance.Select(w => (JsonNode)new JsonObject
            {
                ["cluster"] = w.Cluster, ["servicelevel"] = w.ServiceLevel, ["start"] = Iso(w.Start), ["end"] = Iso(w.End), ["impact"] = w.Impact,
                ["approvalRef"] = w.ApprovalRef, ["excluded"] = w.Excluded, ["description"] = w.Description,
            })]),
            ["indicators"] = new JsonArray([.. r.Indicators.Select(i => (JsonNode)new JsonObject
            {
                ["indicator"] = i.Indicator, ["tier"] = i.Tier, ["environment"] = i.Environment, ["value"] = i.Value, ["objective"] = i.Objective, ["met"] = i.Met, ["meaning"] = i.Meaning,
            })]),
            ["availability"] = new JsonArray([.. r.Availability.Select(a => (JsonNode)new JsonObject
            {
                ["cluster"] = a.Cluster, ["namespace"] = a.Namespace, ["servicelevel"] = a.Name, ["tier"] = a.Tier, ["environment"] = a.Environment,
                ["objective"] = a.Objective, ["availability"] = a.Availability, ["availabilityLow"] = a.Figure.Low, ["availabilityHigh"] = a.Figure.High,
                ["coverage"] = a.Figure.Coverage, ["insufficientData"] = a.Figure.InsufficientData, ["met"] = a.Met, ["availabilityWithoutExclusions"] = a.WithoutExclusions,
                ["serviceSeconds"] = a.ServiceSeconds,
                ["downtimeSeconds"] = a.DowntimeSeconds, ["unknownSeconds"] = a.UnknownSeconds, ["maintenanceSeconds"] = a.MaintenanceSeconds, ["note"] = a.Note,
            })]),
            ["availabilityByTier"] = new JsonArray([.. r.AvailabilityByTier.Select(g => (JsonNode)new JsonObject
            {
                ["tier"] = g.Tier, ["environment"] = g.Environment, ["objective"] = g.Objective, ["availability"] = g.Availability, ["availabilityLow"] = g.Figure.Low,
                ["availabilityHigh"] = g.Figure.High, ["coverage"] = g.Figure.Coverage, ["insufficientData"] = g.Figure.InsufficientData, ["met"] = g.Met,
                ["serviceSeconds"] = g.ServiceSeconds, ["downtimeSeconds"] = g.DowntimeSeconds, ["unknownSeconds"] = g.UnknownSeconds, ["serviceLevels"] = g.ServiceLevels,
            })]),
            ["incidents"] = new JsonObject([.. r.Incidents.Select(i => new KeyValuePair<string, JsonNode?>(i.Severity, new JsonObject
            {
                ["count"] = i.Count, ["resolved"] = i.Resolved, ["withinGtr"] = i.WithinGtr, ["withinGtrRatio"] = i.WithinGtrRatio, ["openAtMonthEnd"] = i.OpenAtMonthEnd,
            }))]),
            ["incidentList"] = new JsonArray([.. r.IncidentList.Select(i => (JsonNode)new JsonObject
            {
                ["cluster"] = i.Cluster, ["servicelevel"] = i.ServiceLevel, ["severity"] = i.Severity, ["start"] = Iso(i.Start), ["end"] = Iso(i.End), ["deadline"] = Iso(i.Deadline), ["withinGtr"] = i.WithinGtr,
                ["cause"] = i.Cause ?? "Platform", ["ticket"] = i.Ticket, ["gtiSeconds"] = i.GtiSeconds, ["withdrawn"] = i.Withdrawn,
            })]),
            ["backups"] = new JsonArray([.. r.Backups.Select(b => (JsonNode)new JsonObject
            {
                ["cluster"] = b.Cluster, ["namespace"] = b.Namespace, ["policy"] = b.Policy, ["method"] = b.Method, ["rpoSeconds"] = (long)b.Rpo.TotalSeconds,
                ["rpoMetRatio"] = b.RpoMetRatio, ["succeeded"] = b.Succeeded, ["applicationConsistent"] = b.ApplicationConsistent, ["failed"] = b.Failed, ["missed"] = b.Missed,
                ["oldestRecoveryPointAgeSeconds"] = b.OldestRecoveryPointAge is { } o ? (long)o.TotalSeconds : null, ["note"] = b.Note,
            })]),
            ["pra"] = new JsonObject
            {
                ["lastSuccess"] = Iso(r.Pra.LastSuccess), ["lastSuccessDrill"] = r.Pra.LastSuccessDrill, ["lastRtoSeconds"] = r.Pra.LastRtoSeconds,
                ["lastRpoSeconds"] = r.Pra.LastRpoSeconds, ["daysUntilYearlyDeadline"] = r.Pra.DaysUntilYearlyDeadline,
                ["drills"] = new JsonArray([.. r.Drills.Select(d => (JsonNode)new JsonObject
                {
                    ["cluster"] = d.Cluster, ["namespace"] = d.Namespace, ["drill"] = d.Drill, ["run"] = d.Run, ["mode"] = d.Mode, ["result"] = d.Result, ["start"] = Iso(d.Start),
                    ["rtoSeconds"] = d.RtoSeconds, ["rpoSeconds"] = d.RpoSeconds, ["rtoMet"] = d.RtoMet, ["rpoMet"] = d.RpoMet, ["report"] = d.Report,
                })]),
            },
            ["certificates"] = new JsonObject
            {
                ["renewed"] = Certs(r, r.RenewedCertificates, Iso), ["failing"] = Certs(r, r.FailingCertificates, Iso), ["expiringWithin30Days"] = Certs(r, r.ExpiringCertificates, Iso),
            },
            ["monitoringCoverage"] = new JsonObject
            {
                ["ratio"] = r.CoverageRatio,
                ["covered"] = r.Coverage.Count(c => c.Covered),
                ["total"] = r.Coverage.Count,
                ["uncovered"] = new JsonArray([.. r.Coverage.Where(c => !c.Covered).Select(c => (JsonNode)$"{c.Cluster}:{c.Kind}/{c.Namespace}/{c.Name}")]),
            },
        };
        return json.ToJsonString(Api.PeopleJson.Indented);
    }

    private static JsonArray Certs(MonthlyServiceReport r, IReadOnlyList<CertificateRow> rows, Func<Instant?, string?> iso) =>
        new([.. rows.Select(c => (JsonNode)new JsonObject
        {
            ["cluster"] = c.Cluster, ["source"] = c.Source, ["namespace"] = c.Namespace, ["name"] = c.Name, ["subject"] = c.Subject, ["state"] = c.State,
            ["notAfter"] = iso(c.NotAfter), ["lastRenewal"] = iso(c.LastRenewal), ["message"] = c.Message,
        })]);
}
