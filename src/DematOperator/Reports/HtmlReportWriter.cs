using System.Globalization;
using System.Net;
using System.Text;
using DematOperator.Api;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Reports;

/// <summary>
/// The monthly report as one self-contained HTML page in French, for people: the IND_* table with verdict colours, a
/// daily availability chart per tier and environment, the incident timeline, the recovery point's age against the RPO,
/// the PRA and the certificates. Charts are inline SVG drawn here: no CDN, no script, nothing fetched.
/// </summary>
public static class HtmlReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
    private const int ChartWidth = 900;

    public static string Render(MonthlyServiceReport r)
    {
        var html = new StringBuilder();
        var title = $"Rapport mensuel de service — {Months[r.Month.Month - 1]} {r.Month.Year}";
        html.Append("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title><style>")
            .Append("body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#1e1e1e;max-width:1000px}h1{color:#000091}h2{color:#000091;border-bottom:2px solid #000091;padding-bottom:4px;margin-top:32px}")
            .Append("table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#eef}")
            .Append(".ok{background:#b8fec9}.ko{background:#ffbdbd}.na{background:#eee;color:#555}.insuf{background:#ffe9a0}.legend span{display:inline-block;margin-right:16px}")
            .Append(".sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}</style></head><body>\n");
        html.Append($"<h1>{E(title)}</h1>\n<p>Généré le {E(Date(r, r.GeneratedAt))} ({E(r.Zone.Id)}) par DematOperator à partir de l'état des clusters.</p>\n");
        html.Append($"<p>{E(ReportWriter.SourcesText(r).Replace("**", ""))}</p>\n");

        html.Append("<h2>Indicateurs du contrat</h2>\n<table><tr><th>indicateur</th><th>palier</th><th>environnement</th><th>valeur</th><th>objectif</th><th>verdict</th><th>signification</th></tr>\n");
        foreach (var i in r.Indicators)
        {
            var (kind, verdict) = FrenchTerms.IndicatorVerdict(i);
            var css = kind switch { FrenchTerms.Judgement.Met => "ok", FrenchTerms.Judgement.NotMet => "ko", FrenchTerms.Judgement.Insufficient => "insuf", FrenchTerms.Judgement.NotApplicable => "na", _ => "" };
            html.Append($"<tr><td>{E(i.Indicator)}</td><td>{E(i.Tier)}</td><td>{E(i.Environment)}</td><td>{E(FrenchTerms.IndicatorValue(i))}</td><td>{(i.Objective is { } o ? "≥ " + Pct(o) : "—")}</td><td class=\"{css}\">{verdict}</td><td>{E(i.Meaning)}</td></tr>\n");
        }
        if (r.Indicators.Count == 0) html.Append("<tr><td colspan=\"7\">aucun ServiceLevel</td></tr>\n");
        html.Append("</table>\n");

        html.Append("<h2>Disponibilité quotidienne</h2>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:#18753c\"></i>objectif atteint</span><span><i class=\"sw\" style=\"background:#ce0500\"></i>sous l'objectif</span><span><i class=\"sw\" style=\"background:#bbb\"></i>sans mesure ou sans temps de service</span></p>\n");
        foreach (var group in r.Daily.GroupBy(d => (d.Tier, d.Environment)))
        {
            var objective = r.AvailabilityByTier.FirstOrDefault(g => g.Tier == group.Key.Tier && g.Environment == group.Key.Environment)?.Objective ?? 0.99;
            html.Append($"<h3>{E(group.Key.Tier)} — {E(group.Key.Environment)} (objectif {Pct(objective)})</h3>\n").Append(DailyChart([.. group], objective, r.Month));
        }
        if (r.Daily.Count == 0) html.Append("<p>Aucune mesure.</p>\n");

        html.Append("<h2>Chronologie des incidents</h2>\n").Append(Timeline(r));
        html.Append("<table><tr><th>ServiceLevel</th><th>priorité</th><th>début</th><th>fin</th><th>échéance GTR</th><th>dans la GTR</th><th>cause</th><th>ticket</th></tr>\n");
        foreach (var i in r.IncidentList)
            html.Append($"<tr><td>{E(i.ServiceLevel)}</td><td>{E(FrenchTerms.Severity(i.Severity))}</td><td>{E(Date(r, i.Start))}</td><td>{E(Date(r, i.End))}</td><td>{E(Date(r, i.Deadline))}</td>" +
                        $"<td class=\"{(i.WithinGtr == false ? "ko" : i.WithinGtr == true ? "ok" : "na")}\">{(i.WithinGtr switch { true => "oui", false => "non", _ => "en cours" })}</td><td>{E(FrenchTerms.Cause(i.Cause, i.Withdrawn))}</td><td>{E(i.Ticket ?? "")}</td></tr>\n");
        if (r.IncidentList.Count == 0) html.Append("<tr><td colspan=\"8\">aucun incident</td></tr>\n");
        html.Append("</table>\n");

        html.Append("<h2>Âge du point de reprise</h2>\n");
        foreach (var b in r.Backups)
            html.Append($"<h3>{E(b.Namespace)}/{E(b.Policy)} ({E(b.Method)}, RPO {E(Durations.Human(b.Rpo))}) — RPO tenu {Pct(b.RpoMetRatio)} {Period(b, r)}, {b.Succeeded} sauvegarde(s) réussie(s) dont {b.ApplicationConsistent} cohérente(s) applicativement</h3>\n").Append(AgeChart(b, r));
        if (r.Backups.Count == 0) html.Append("<p>Aucune politique de sauvegarde.</p>\n");

        html.Append("<h2>Plan de reprise d'activité (PRA)</h2>\n");
        html.Append($"<p>Dernier exercice réussi : {E(r.Pra.LastSuccess is { } ls ? Date(r, ls) : ReportWriter.NoSuccessfulDrill(r))}{(r.Pra.DaysUntilYearlyDeadline is { } days ? $" ; échéance annuelle dans {days} jour(s)" : "")}.</p>\n");
        html.Append("<table><tr><th>exercice</th><th>mode</th><th>résultat</th><th>début</th><th>RTO</th><th>RPO</th><th>objectifs</th></tr>\n");
        foreach (var d in r.Drills)
            html.Append($"<tr><td>{E(d.Namespace)}/{E(d.Drill)} {E(d.Run)}</td><td>{E(FrenchTerms.Mode(d.Mode))}</td><td class=\"{(d.Result == "Succeeded" ? "ok" : "ko")}\">{E(FrenchTerms.Result(d.Result))}</td>" +
                        $"<td>{E(Date(r, d.Start))}</td><td>{E(Hours(d.RtoSeconds))}</td><td>{E(Hours(d.RpoSeconds))}</td><td class=\"{(d.RtoMet == true && d.RpoMet == true ? "ok" : d.RtoMet is null ? "na" : "ko")}\">{(d.RtoMet == true && d.RpoMet == true ? "atteints" : d.RtoMet is null ? "non mesurés" : "non atteints")}</td></tr>\n");
        if (r.Drills.Count == 0) html.Append("<tr><td colspan=\"7\">aucun exercice ce mois-ci</td></tr>\n");
        html.Append("</table>\n");

        html.Append("<h2>Certificats</h2>\n<table><tr><th>catégorie</th><th>certificat</th><th>sujet</th><th>état</th><th>expire le</th></tr>\n");
        foreach (var (category, rows, css) in new[] { ("renouvelé", r.RenewedCertificates, "ok"), ("en erreur", r.FailingCertificates, "ko"), ("expire sous 30 jours", r.ExpiringCertificates, "insuf") })
            foreach (var c in rows)
                html.Append($"<tr><td class=\"{css}\">{category}</td><td>{E(c.Namespace)}/{E(c.Name)} ({E(c.Source)})</td><td>{E(c.Subject)}</td><td>{E(FrenchTerms.CertificateState(c.State))}</td><td>{E(c.NotAfter is { } na ? Date(r, na) : "—")}</td></tr>\n");
        if (r.RenewedCertificates.Count + r.FailingCertificates.Count + r.ExpiringCertificates.Count == 0) html.Append("<tr><td colspan=\"5\">rien à signaler</td></tr>\n");
        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>One bar a day: its height is the day's availability on a 90–100 % scale (lower days at the floor, in red); grey when nothing was measured.</summary>
    private static string DailyChart(IReadOnlyList<DailyAvailabilityRow> days, double objective, YearMonth month)
    {
        const int height = 160, left = 50, bottom = 24;
        var count = month.ToDateInterval().Length;
        var width = (ChartWidth - left) / (double)count;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{height + bottom}\" role=\"img\" aria-label=\"disponibilité quotidienne\">");
        foreach (var tick in new[] { 0.90, 0.95, 1.0 })
        {
            var y = Y(tick, height);
            svg.Append($"<line x1=\"{left}\" x2=\"{ChartWidth}\" y1=\"{F(y)}\" y2=\"{F(y)}\" stroke=\"#ddd\"/><text x=\"2\" y=\"{F(y + 4)}\" font-size=\"11\">{Pct(tick)}</text>");
        }
        var yo = Y(objective, height);
        svg.Append($"<line x1=\"{left}\" x2=\"{ChartWidth}\" y1=\"{F(yo)}\" y2=\"{F(yo)}\" stroke=\"#000091\" stroke-dasharray=\"4 3\"/>");
        foreach (var d in days)
        {
            var x = left + (d.Day.Day - 1) * width;
            if (d.Availability is { } a)
            {
                // A day below the chart's floor still shows, as a short red bar.
                var y = Math.Min(Y(a, height), height - 4);
                svg.Append($"<rect x=\"{F(x + 1)}\" y=\"{F(y)}\" width=\"{F(width - 2)}\" height=\"{F(height - y)}\" fill=\"{(a >= objective ? "#18753c" : "#ce0500")}\"><title>{d.Day:dd/MM} : {Pct(a)}</title></rect>");
            }
            else svg.Append($"<rect x=\"{F(x + 1)}\" y=\"{height - 6}\" width=\"{F(width - 2)}\" height=\"6\" fill=\"#bbb\"><title>{d.Day:dd/MM} : sans mesure</title></rect>");
            if (d.Day.Day % 5 == 1) svg.Append($"<text x=\"{F(x)}\" y=\"{height + 16}\" font-size=\"11\">{d.Day.Day}</text>");
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static double Y(double availability, int height) => height - Math.Clamp((availability - 0.90) / 0.10, 0, 1) * (height - 10);

    /// <summary>One line per incident over the month, coloured by severity; an open incident runs to the report's end.</summary>
    private static string Timeline(MonthlyServiceReport r)
    {
        const int left = 200, row = 22;
        var start = r.Month.OnDayOfMonth(1).AtStartOfDayInZone(r.Zone).ToInstant();
        var end = r.Month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(r.Zone).ToInstant();
        var span = (end - start).TotalSeconds;
        double X(Instant t) => left + Math.Clamp((t - start).TotalSeconds / span, 0, 1) * (ChartWidth - left - 10);
        var height = Math.Max(1, r.IncidentList.Count) * row + 30;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{height}\" role=\"img\" aria-label=\"chronologie des incidents\">");
        for (var day = 1; day <= r.Month.ToDateInterval().Length; day += 5)
        {
            var x = X(r.Month.OnDayOfMonth(day).AtStartOfDayInZone(r.Zone).ToInstant());
            svg.Append($"<line x1=\"{F(x)}\" x2=\"{F(x)}\" y1=\"0\" y2=\"{height - 20}\" stroke=\"#eee\"/><text x=\"{F(x)}\" y=\"{height - 6}\" font-size=\"11\">{day}/{r.Month.Month}</text>");
        }
        if (r.IncidentList.Count == 0) svg.Append($"<text x=\"{left}\" y=\"16\" font-size=\"12\">aucun incident</text>");
        for (var k = 0; k < r.IncidentList.Count; k++)
        {
            var i = r.IncidentList[k];
            var y = k * row + 4;
            var colour = i.Severity switch { "blocking" => "#ce0500", "major" => "#e4794a", _ => "#fcc63a" };
            var x1 = X(i.Start);
            var x2 = Math.Max(x1 + 3, X(i.End ?? Instant.Min(end, r.GeneratedAt)));
            svg.Append($"<text x=\"2\" y=\"{y + 13}\" font-size=\"11\">{E(i.ServiceLevel)}</text><rect x=\"{F(x1)}\" y=\"{y}\" width=\"{F(x2 - x1)}\" height=\"{row - 8}\" fill=\"{colour}\"" +
                       $"{(i.Cause is "Application" or "External" ? " fill-opacity=\"0.4\"" : "")}><title>{E(ContractIndicators.FrenchSeverity(i.Severity))} {E(Date(r, i.Start))} – {E(Date(r, i.End))}</title></rect>");
        }
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>The recovery point's age hour by hour, with the RPO as a dashed line: above it, the RPO was not held.</summary>
    private static string AgeChart(BackupRow b, MonthlyServiceReport r)
    {
        const int height = 140, left = 50, bottom = 20;
        var known = b.AgeByHour.Where(a => a.Age is not null).ToList();
        var top = Math.Max(b.Rpo.TotalHours * 1.5, known.Count == 0 ? 1 : known.Max(a => a.Age!.Value.TotalHours));
        double Y(double hours) => height - Math.Clamp(hours / top, 0, 1) * (height - 10);
        var n = Math.Max(1, b.AgeByHour.Count);
        double X(int index) => left + index * (ChartWidth - left - 10) / (double)n;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{height + bottom}\" role=\"img\" aria-label=\"âge du point de reprise\">");
        svg.Append($"<line x1=\"{left}\" x2=\"{ChartWidth}\" y1=\"{F(Y(b.Rpo.TotalHours))}\" y2=\"{F(Y(b.Rpo.TotalHours))}\" stroke=\"#ce0500\" stroke-dasharray=\"5 3\"/>")
            .Append($"<text x=\"2\" y=\"{F(Y(b.Rpo.TotalHours) + 4)}\" font-size=\"11\">RPO {E(Durations.Human(b.Rpo))}</text>")
            .Append($"<text x=\"2\" y=\"{height}\" font-size=\"11\">0 h</text><text x=\"2\" y=\"14\" font-size=\"11\">{top.ToString("0", Inv)} h</text>");
        var points = string.Join(' ', b.AgeByHour.Select((a, k) => a.Age is { } age ? $"{F(X(k))},{F(Y(age.TotalHours))}" : null).Where(p => p is not null));
        if (points.Length > 0) svg.Append($"<polyline fill=\"none\" stroke=\"#000091\" stroke-width=\"1.5\" points=\"{points}\"/>");
        else svg.Append($"<text x=\"{left + 10}\" y=\"{height / 2}\" font-size=\"12\">aucun point de reprise ce mois-ci</text>");
        return svg.Append("</svg>\n").ToString();
    }

    private static string Hours(long? seconds) => seconds is { } s ? Durations.Human(Duration.FromSeconds(s)) : "non mesuré";
    private static string Pct(double? ratio) => ratio is { } v ? (v * 100).ToString("0.00", Inv) + " %" : "—";
    private static string F(double v) => v.ToString("0.#", Inv);
    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
    private static string Date(MonthlyServiceReport r, Instant? t) => t is { } v ? Api.PersonTime.Format(v, r.Zone) : "—";

    /// <summary>"du mois" only when the whole month was measured; otherwise the period the ratio covers, said.</summary>
    private static string Period(BackupRow b, MonthlyServiceReport r)
    {
        var monthStart = r.Zone.AtStartOfDay(r.Month.OnDayOfMonth(1)).ToInstant();
        var monthEnd = r.Zone.AtStartOfDay(r.Month.PlusMonths(1).OnDayOfMonth(1)).ToInstant();
        return b.Measured is not { } m || (m.From <= monthStart && m.Until >= monthEnd) ? "du mois"
            : $"de la période mesurée (du {Date(r, m.From)} au {Date(r, m.Until)})";
    }
}
