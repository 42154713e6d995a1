using System.CommandLine;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Reports;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.Cli;

/// <summary>`report`: the contract's monthly service report from the live state of one or several clusters.</summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var month = new Option<string>("--month") { Description = "The month, yyyy-MM (default: the previous month)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)" };
        var contexts = new Option<string[]>("--context") { Description = "Context(s) to read, repeatable (default: every context of the kubeconfig)", AllowMultipleArgumentsPerToken = true };
        var format = new Option<string>("--format") { Description = "md, csv, json or html (one self-contained page in French, with charts)", DefaultValueFactory = _ => "md" };
        var output = new Option<string?>("--out") { Description = "Directory to write the report to (required for csv); stdout otherwise" };
        var zone = new Option<string>("--time-zone") { Description = "Time zone of dates and months", DefaultValueFactory = _ => "Europe/Paris" };
        var year = new Option<int?>("--year") { Description = "With --maintenance: the year whose maintenance planning to export" };
        var maintenance = new Option<bool>("--maintenance") { Description = "Export the year's maintenance windows (csv) instead of the monthly report" };
        var command = new Command("report", "Write the monthly service report (availability, incidents, backups, PRA, certificates, monitoring coverage)");
        foreach (var o in new Option[] { month, kubeconfig, contexts, format, output, zone, year, maintenance }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var tz = DateTimeZoneProviders.Tzdb.GetZoneOrNull(parse.GetValue(zone)!);
            if (tz is null) return Fail($"unknown time zone \"{parse.GetValue(zone)}\"");
            var now = SystemClock.Instance.GetCurrentInstant();
            YearMonth m;
            if (parse.GetValue(month) is { } text)
            {
                var parsed = YearMonthPattern.CreateWithInvariantCulture("yyyy'-'MM").Parse(text);
                if (!parsed.Success) return Fail($"--month \"{text}\" is not yyyy-MM");
                m = parsed.Value;
            }
            else
            {
                var today = now.InZone(tz).Date;
                m = new YearMonth(today.Year, today.Month).PlusMonths(-1);
            }
            var fmt = parse.GetValue(format)!;
            if (fmt is not ("md" or "csv" or "json" or "html")) return Fail($"--format \"{fmt}\" is not md, csv, json or html");
            if (fmt == "csv" && parse.GetValue(output) is null && !parse.GetValue(maintenance)) return Fail("--format csv writes one file per table: give --out DIR");
            if (parse.GetValue(year) is not null && !parse.GetValue(maintenance)) return Fail("--year goes with --maintenance (the monthly report takes --month)");
            // Every context of the kubeconfig by default: the PRA drill runs on RBX, production on SBG, and a report that read
            // one of them only would say "no drill" of the other. A cluster that cannot be read is said in the report.
            IReadOnlyList<string?> wanted;
            try
            {
                IReadOnlyList<string> named = parse.GetValue(contexts) is { Length: > 0 } list ? list : KubeConfigLoader.Contexts(parse.GetValue(kubeconfig));
                // No context at all: inside a pod, the in-cluster API.
                wanted = named.Count > 0 ? [.. named] : [null];
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or FormatException) { return Fail(e.Message); }
            var snapshots = new List<ReportSnapshot>();
            var unread = new List<ClusterSource>();
            foreach (var context in wanted)
            {
                Console.Error.WriteLine($"report: reading {(context is null ? "the cluster" : $"context {context}")}...");
                try
                {
                    var endpoint = KubeConfigLoader.Load(parse.GetValue(kubeconfig), context);
                    using var client = new KubeClient(endpoint, new KubeClientOptions { MaxRetries = 2 });
                    snapshots.Add(await ReportSnapshot.GatherAsync(client, context ?? endpoint.Server.Host, ct));
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or KubeApiException or KubeConnectionException or FormatException)
                {
                    unread.Add(new ClusterSource(context ?? "in-cluster", e.Message));
                    Console.Error.WriteLine($"report: cannot read {(context is null ? "the cluster" : $"context {context}")}: {e.Message}");
                }
            }
            if (snapshots.Count == 0) return Fail("no cluster could be read");
            var notRead = unread.Count > 0 ? $"; not read: {string.Join(", ", unread.Select(u => u.Name))}" : "";
            Console.Error.WriteLine($"report: read {string.Join(", ", snapshots.Select(s => s.Cluster))}{notRead}");
            if (parse.GetValue(maintenance))
            {
                var y = parse.GetValue(year) ?? now.InZone(tz).Year;
                var csv = MonthlyServiceReport.MaintenancePlanningCsv(snapshots, y, tz);
                if (parse.GetValue(output) is { } into)
                {
                    Directory.CreateDirectory(into);
                    var path = Path.Combine(into, $"maintenance-{y}.csv");
                    await File.WriteAllTextAsync(path, csv, ct);
                    Console.WriteLine($"wrote {path}");
                }
                else Console.Write(csv);
                return 0;
            }
            var report = MonthlyServiceReport.Build(snapshots, m, tz, now, unread);
            var files = fmt switch
            {
                "md" => new Dictionary<string, string> { ["report.md"] = ReportWriter.Markdown(report) },
                "json" => new Dictionary<string, string> { ["report.json"] = ReportWriter.Json(report) },
                "html" => new Dictionary<string, string> { ["report.html"] = HtmlReportWriter.Render(report) },
                _ => ReportWriter.Csv(report),
            };
            if (parse.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                foreach (var (name, content) in files) await File.WriteAllTextAsync(Path.Combine(dir, name), content, ct);
                Console.WriteLine($"wrote {string.Join(", ", files.Keys.Select(k => Path.Combine(dir, k)))}");
            }
            else Console.Write(files.Values.Single());
            return 0;
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"report: {message}");
        return 2;
    }
}
