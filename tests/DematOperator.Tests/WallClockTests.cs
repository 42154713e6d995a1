using System.Text.RegularExpressions;
using DematOperator.TestSupport;

namespace DematOperator.Tests;

/// <summary>
/// No test reads the wall clock: every outcome that could change with the hour, the weekday, DST or a holiday runs on
/// an injected clock (ManualTimeProvider, FixedStartTimeProvider) or at an instant the test chooses (TestClock).
/// Elapsed time for timeouts is a Stopwatch, which is not a reading of the calendar.
/// </summary>
public sealed partial class WallClockTests
{
    /// <summary>The places that must read the machine's clock, and why. Anything else fails the check below.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["tests/DematOperator.Kube.Tests/InformerTests.cs"] =
            "the informer's reconnect backoff against the live emulator is elapsed machine time (the system TimeProvider), never a date",
    };

    [GeneratedRegex(@"\bDateTime(Offset)?\s*\.\s*(Utc)?Now\b|\bDateTime\s*\.\s*Today\b|\bTimeProvider\s*\.\s*System\b")]
    private static partial Regex WallClock();

    public static IReadOnlyList<string> Readings(string root, IReadOnlyDictionary<string, string> allowed) =>
        Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"))
            .Select(f => (Path: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), Lines: File.ReadAllLines(f)))
            .Where(f => !allowed.ContainsKey(f.Path))
            .SelectMany(f => f.Lines.Select((line, i) => (f.Path, Number: i + 1, Line: line)))
            .Where(l => !l.Line.TrimStart().StartsWith("//", StringComparison.Ordinal) && WallClock().IsMatch(l.Line))
            .Select(l => $"{l.Path}:{l.Number}: {l.Line.Trim()}")
            .ToList();

    [Fact]
    public void No_test_reads_the_wall_clock_outside_the_listed_places()
    {
        Readings(RepoPaths.Root, Allowed).ShouldBeEmpty();
        foreach (var path in Allowed.Keys) File.Exists(Path.Combine(RepoPaths.Root, path)).ShouldBeTrue($"{path} is listed but does not exist");
    }

    [Fact]
    public void The_check_finds_a_test_that_reads_the_wall_clock()
    {
        var root = Directory.CreateTempSubdirectory("wallclock-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "tests", "X"));
            // Spelled in pieces so that this file itself holds no wall-clock reading.
            var utcNow = "DateTimeOffset" + ".UtcNow";
            var system = "TimeProvider" + ".System";
            File.WriteAllText(Path.Combine(root, "tests", "X", "Bad.cs"), $"var t = {utcNow};\n// {"DateTime" + ".Now"} in a comment is fine\nvar c = {system};\nvar s = System.Diagnostics.Stopwatch.StartNew();\n");
            Readings(root, new Dictionary<string, string>()).ShouldBe([$"tests/X/Bad.cs:1: var t = {utcNow};", $"tests/X/Bad.cs:3: var c = {system};"]);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
