using NodaTime;
using NodaTime.Text;

namespace DematOperator.ServiceLevels;

/// <summary>Malformed input, with the file and line a person should look at.</summary>
public sealed class InputException(string file, int line, string message) : Exception($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>
/// The calculator's CSV inputs: outages `start,end,severity` (RFC 3339 with offset; severity
/// blocking|major|minor, default blocking; an empty end is an incident still open) and maintenance `start,end`.
/// </summary>
public static class OutageCsv
{
    private static readonly OffsetDateTimePattern Rfc3339 = OffsetDateTimePattern.ExtendedIso;

    public static List<Outage> ParseOutages(string text, string file)
    {
        var result = new List<Outage>();
        foreach (var (line, fields) in Rows(text, file, ["start", "end", "severity"], required: 2))
        {
            var start = Time(fields[0], file, line, "start");
            Instant? end = fields.Length > 1 && fields[1].Length > 0 ? Time(fields[1], file, line, "end") : null;
            if (end is { } e && e < start) throw new InputException(file, line, $"end {fields[1]} is before start {fields[0]}");
            var severity = fields.Length > 2 && fields[2].Length > 0 ? fields[2].ToLowerInvariant() switch
            {
                "blocking" => Severity.Blocking,
                "major" => Severity.Major,
                "minor" => Severity.Minor,
                _ => throw new InputException(file, line, $"severity \"{fields[2]}\" is not blocking, major or minor"),
            } : Severity.Blocking;
            result.Add(new Outage(start, end, severity));
        }
        return result;
    }

    public static List<TimeSpanInterval> ParseMaintenance(string text, string file)
    {
        var result = new List<TimeSpanInterval>();
        foreach (var (line, fields) in Rows(text, file, ["start", "end"], required: 2))
        {
            if (fields.Length < 2 || fields[1].Length == 0) throw new InputException(file, line, "a maintenance window needs an end");
            var start = Time(fields[0], file, line, "start");
            var end = Time(fields[1], file, line, "end");
            if (end <= start) throw new InputException(file, line, $"end {fields[1]} is not after start {fields[0]}");
            result.Add(new TimeSpanInterval(start, end));
        }
        return result;
    }

    private static IEnumerable<(int Line, string[] Fields)> Rows(string text, string file, string[] header, int required)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var first = Array.FindIndex(lines, l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        if (first < 0) yield break;
        var names = lines[first].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        if (!names.Take(required).SequenceEqual(header.Take(required)) || names.Except(header).Any())
            throw new InputException(file, first + 1, $"header must be \"{string.Join(",", header)}\", found \"{lines[first].Trim()}\"");
        for (var i = first + 1; i < lines.Length; i++)
        {
            var raw = lines[i].Trim();
            if (raw.Length == 0 || raw.StartsWith('#')) continue;
            var fields = raw.Split(',').Select(f => f.Trim()).ToArray();
            if (fields.Length > names.Length) throw new InputException(file, i + 1, $"{fields.Length} fields, the header has {names.Length}");
            yield return (i + 1, fields);
        }
    }

    private static Instant Time(string value, string file, int line, string field)
    {
        var parsed = Rfc3339.Parse(value);
        if (!parsed.Success)
            throw new InputException(file, line, $"{field} \"{value}\" is not an RFC 3339 timestamp with an offset (e.g. 2026-05-12T17:30:00+02:00)");
        return parsed.Value.ToInstant();
    }
}
