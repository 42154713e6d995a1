using System.CommandLine;
using System.Globalization;
using DematOperator.ServiceLevels;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.Cli;

/// <summary>`sla report`: the contract's monthly availability and GTR figures, offline, from CSV files.</summary>
internal static class SlaCommand
{
    public static Command Build()
    {
        var tier = new Option<string>("--tier") { Description = "OR, ARGENT or BRONZE", Required = true };
        var month = new Option<string>("--month") { Description = "The month, yyyy-MM", Required = true };
        var zone = new Option<string>("--time-zone") { Description = "IANA time zone of the service hours", DefaultValueFactory = _ => "Europe/Paris" };
        var holidays = new Option<string>("--holidays") { Description = "FR, FR-ALSACE-MOSELLE or none", DefaultValueFactory = _ => "FR" };
        var extra = new Option<string[]>("--extra-holiday") { Description = "An extra non-working date (yyyy-MM-dd), repeatable", AllowMultipleArgumentsPerToken = true };
        var outages = new Option<string?>("--outages") { Description = "CSV with the header start,end,severity" };
        var maintenance = new Option<string?>("--maintenance") { Description = "CSV with the header start,end" };
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var report = new Command("report", "Monthly availability in service hours and incidents against the GTR");
        foreach (var o in new Option[] { tier, month, zone, holidays, extra, outages, maintenance, format }) report.Options.Add(o);
        report.SetAction(parse =>
        {
            try
            {
                var t = ServiceTier.Parse(parse.GetValue(tier)!) ?? throw new ArgumentException($"unknown tier \"{parse.GetValue(tier)}\": use OR, ARGENT or BRONZE");
                var m = YearMonthPattern.CreateWithInvariantCulture("yyyy'-'MM").Parse(parse.GetValue(month)!);
                if (!m.Success) throw new ArgumentException($"--month \"{parse.GetValue(month)}\" is not yyyy-MM");
                var z = DateTimeZoneProviders.Tzdb.GetZoneOrNull(parse.GetValue(zone)!) ?? throw new ArgumentException($"unknown time zone \"{parse.GetValue(zone)}\"");
                var extraDates = (parse.GetValue(extra) ?? []).Select(d => LocalDatePattern.Iso.Parse(d) is { Success: true } r ? r.Value : throw new ArgumentException($"--extra-holiday \"{d}\" is not yyyy-MM-dd"));
                var h = HolidayCalendar.Parse(parse.GetValue(holidays)!, extraDates) ?? throw new ArgumentException($"unknown holiday calendar \"{parse.GetValue(holidays)}\": use FR, FR-ALSACE-MOSELLE or none");
                var outageList = parse.GetValue(outages) is { } of ? OutageCsv.ParseOutages(File.ReadAllText(of), of) : [];
                var maintenanceList = parse.GetValue(maintenance) is { } mf ? OutageCsv.ParseMaintenance(File.ReadAllText(mf), mf) : [];
                var result = MonthlyAvailability.Compute(new ServiceCalendar(t, z, h), m.Value, outageList, maintenanceList);
                Console.Write(parse.GetValue(format) == "json"
                    ? SlaReportWriter.Json(result, z).ToJsonString(Api.PeopleJson.Indented) + "\n"
                    : SlaReportWriter.Text(result, z, t));
                return 0;
            }
            catch (Exception e) when (e is InputException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        var sla = new Command("sla", "Offline service-level calculations");
        sla.Subcommands.Add(report);
        return sla;
    }
}
