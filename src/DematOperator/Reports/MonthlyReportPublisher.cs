using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.Reports;

/// <summary>
/// Writes the report of the month that just ended into a ConfigMap of the operator's namespace, once per month
/// (create-only: a restart or a second leader never writes it twice, nor differently), with an Event, and keeps
/// the last 13 months. It waits an hour into the new month so that every ServiceLevel has closed the old one.
/// </summary>
/// <param name="cluster">How the report names this cluster: its kubeconfig context, or in-cluster.</param>
public sealed class MonthlyReportPublisher(KubeClient client, string ns, EventRecorder events, ILogger<MonthlyReportPublisher> log, DateTimeZone? zone = null,
    string cluster = "in-cluster")
{
    public const string MonthLabel = Group.AnnotationPrefix + "report-month";
    public const int MonthsKept = 13;
    private static readonly Duration Settle = Duration.FromHours(1);
    private readonly DateTimeZone _zone = zone ?? DateTimeZoneProviders.Tzdb["Europe/Paris"];

    public static string ConfigMapName(YearMonth month) => $"dematoperator-report-{month.ToString("yyyy-MM", null)}";

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await PublishAsync(ct); }
            catch (Exception e) when (e is KubeApiException or KubeConnectionException)
            {
                log.LogWarning("monthly report not published yet: {Error}", e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever one object holds, the report is retried, never the reason the operator stops.
                log.LogError(e, "monthly report not published: {Error}", e.Message);
            }
            await Task.Delay(TimeSpan.FromMinutes(10), client.Time, ct);
        }
    }

    /// <summary>Publishes the previous month's report if it is due and absent; returns its name when it wrote one.</summary>
    public async Task<string?> PublishAsync(CancellationToken ct)
    {
        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        var today = now.InZone(_zone).Date;
        var month = new YearMonth(today.Year, today.Month).PlusMonths(-1);
        if (now < _zone.AtStartOfDay(today.With(DateAdjusters.StartOfMonth)).ToInstant() + Settle) return null;
        var name = ConfigMapName(month);
        if (await client.TryGetAsync(Resources.ConfigMaps, ns, name, ct) is not null) return null;
        var snapshot = await ReportSnapshot.GatherAsync(client, cluster, ct);
        var report = MonthlyServiceReport.Build([snapshot], month, _zone, now);
        // A month this cluster holds nothing of (the operator was installed after it): no empty report that would stand
        // for it forever, since a report is written once.
        if (!HoldsAnything(report))
        {
            log.LogInformation("no monthly service report for {Month}: this cluster holds no figure of it", month.ToString("yyyy-MM", null));
            return null;
        }
        var data = new Dictionary<string, string> { ["report.md"] = ReportWriter.Markdown(report), ["report.json"] = ReportWriter.Json(report) };
        foreach (var (file, csv) in ReportWriter.Csv(report)) data[file] = csv;
        ConfigMap created;
        using (KubeClient.Because($"monthly service report {month.ToString("yyyy-MM", null)}"))
        {
            try
            {
                created = await client.CreateAsync(Resources.ConfigMaps, new ConfigMap
                {
                    Metadata = new ObjectMeta
                    {
                        Name = name, Namespace = ns,
                        Labels = new() { [MonthLabel] = month.ToString("yyyy-MM", null), ["app.kubernetes.io/managed-by"] = "dematoperator" },
                    },
                    Data = data,
                }, ct);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists) { return null; }
        }
        log.LogInformation("published the monthly service report {Name}", name);
        await events.NormalAsync(created, "MonthlyReportPublished",
            $"service report of {month.ToString("yyyy-MM", null)}: {report.Availability.Count} ServiceLevel(s), {report.Backups.Count} BackupPolicy(ies), {report.Drills.Count} drill(s), coverage {(report.CoverageRatio is { } c ? $"{c * 100:0.00} %" : "—")}", ct);
        await PruneAsync(ct);
        return name;
    }

    /// <summary>Some ServiceLevel measured the month, or a backup or a drill ran in it.</summary>
    public static bool HoldsAnything(MonthlyServiceReport report) =>
        report.Availability.Any(a => a.ServiceSeconds > 0) || report.Backups.Any(b => b.Succeeded + b.Failed + b.Missed > 0) || report.Drills.Count > 0;

    private async Task PruneAsync(CancellationToken ct)
    {
        var reports = (await client.ListAsync(Resources.ConfigMaps, ns, new ListRequest(MonthLabel), ct)).Items
            .OrderByDescending(c => c.Metadata.Labels![MonthLabel], StringComparer.Ordinal).ToList();
        foreach (var old in reports.Skip(MonthsKept))
        {
            try { await client.DeleteAsync(Resources.ConfigMaps, ns, old.Name, new DeleteRequest(PreconditionUid: old.Metadata.Uid), ct); }
            catch (KubeApiException e) when (e.IsNotFound) { }
        }
    }
}
