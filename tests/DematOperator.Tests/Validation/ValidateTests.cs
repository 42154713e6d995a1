using System.Text.RegularExpressions;
using DematOperator.TestSupport;
using DematOperator.Validation;
using NodaTime;

namespace DematOperator.Tests.Validation;

public sealed partial class ValidateTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 11, 22, 12, 0);
    private static string Broken => Path.Combine(RepoPaths.Root, "tests", "DematOperator.Tests", "Validation", "broken");

    [GeneratedRegex(@"^# expect (\d+): (.+)$", RegexOptions.Multiline)]
    private static partial Regex Expectation();

    [Fact]
    public void Every_sample_passes()
    {
        var messages = ManifestValidator.ValidatePaths([Path.Combine(RepoPaths.Config, "samples")], Now);
        messages.Where(m => !m.Warning).ShouldBeEmpty();
        // The contract's MongoDB sample (every 4 h, 4 h RPO) is flagged, not rejected.
        messages.ShouldContain(m => m.Warning && m.Message.Contains("longer than the 4h RPO"));
    }

    public static IEnumerable<object[]> BrokenFiles() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests", "DematOperator.Tests", "Validation", "broken"), "*.yaml").Order().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Each_broken_document_is_rejected_with_its_line_and_message(string file)
    {
        var path = Path.Combine(Broken, file);
        var text = File.ReadAllText(path);
        var expected = Expectation().Matches(text).Select(m => (Line: int.Parse(m.Groups[1].Value), Text: m.Groups[2].Value.Trim())).ToList();
        expected.ShouldNotBeEmpty();
        var errors = ManifestValidator.ValidateText(text, file, Now).Where(m => !m.Warning).ToList();
        foreach (var (line, message) in expected)
            errors.ShouldContain(e => e.Line == line && e.Message.Contains(message), $"{file}: no error \"{message}\" at line {line}; got:\n{string.Join("\n", errors)}");
        errors.Count.ShouldBe(expected.Count, $"{file}: unexpected errors:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void Every_kind_of_the_API_group_is_validated_and_the_Incident_the_docs_show_passes()
    {
        // The kinds the CRDs define, read from config/crd/bases, not from the validator.
        var crdKinds = Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "crd", "bases"), "ops.demat.gouv.fr_*.yaml")
            .Select(f => Regex.Match(File.ReadAllText(f), @"^    kind: (\w+)$", RegexOptions.Multiline).Groups[1].Value).Order().ToList();
        crdKinds.Count.ShouldBe(6);
        ManifestValidator.KindNames.Order().ShouldBe(crdKinds);
        var docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "incidents.md"));
        var declared = Regex.Match(docs, "```yaml\n(apiVersion: ops.demat.gouv.fr/v1alpha1\nkind: Incident\n.*?)```", RegexOptions.Singleline).Groups[1].Value;
        declared.ShouldNotBeEmpty();
        ManifestValidator.ValidateText(declared, "incidents.md", Now).ShouldBeEmpty();
    }

    [Fact]
    public void Other_kinds_are_ignored()
    {
        ManifestValidator.ValidateText("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n", "cm.yaml", Now).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_verb_prints_file_line_messages_and_exits_1_on_errors_0_otherwise()
    {
        var dll = typeof(DematOperator.Cli.RunCommand).Assembly.Location;
        async Task<CommandResult> Run(params string[] args)
        {
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { dll, "validate" }.Concat(args)) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var (o, e) = (await p.StandardOutput.ReadToEndAsync(), await p.StandardError.ReadToEndAsync());
            await p.WaitForExitAsync();
            return new CommandResult(p.ExitCode, o, e);
        }
        var ok = await Run("-f", Path.Combine(RepoPaths.Config, "samples"));
        ok.ExitCode.ShouldBe(0);
        ok.Stdout.ShouldContain("ok (");
        var help = await Run("--help");
        foreach (var kind in ManifestValidator.KindNames) help.Stdout.ShouldContain(kind);
        var bad = await Run("-f", Path.Combine(Broken, "sl-tier.yaml"));
        bad.ExitCode.ShouldBe(1);
        bad.Stderr.ShouldContain("sl-tier.yaml:8: spec.tier: Unsupported value: \"PLATINE\"");
    }
}
