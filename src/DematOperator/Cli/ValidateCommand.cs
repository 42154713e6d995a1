using System.CommandLine;
using DematOperator.Validation;
using NodaTime;

namespace DematOperator.Cli;

/// <summary>`validate -f FILE|DIR ...`: offline checks of our kinds, `file:line: message`, exit 1 when something is wrong.</summary>
internal static class ValidateCommand
{
    public static Command Build()
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "YAML files or folders (searched recursively)", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("validate", $"Check {string.Join(", ", ManifestValidator.KindNames)} YAML offline (schema and the operator's rules)");
        command.Options.Add(files);
        command.SetAction(parse =>
        {
            var messages = ManifestValidator.ValidatePaths(parse.GetValue(files)!, SystemClock.Instance.GetCurrentInstant());
            foreach (var m in messages) (m.Warning ? Console.Out : Console.Error).WriteLine(m);
            var errors = messages.Count(m => !m.Warning);
            Console.Out.WriteLine(errors == 0 ? $"ok ({messages.Count(m => m.Warning)} warning(s))" : $"{errors} error(s)");
            return errors == 0 ? 0 : 1;
        });
        return command;
    }
}
