using System.CommandLine;
using DematOperator.Cli;

var root = new RootCommand("DematOperator: backups, PRA drills, service levels and certificates for the DEMAT'ADS platforms");
var run = RunCommand.Build();
root.Subcommands.Add(run);
root.Subcommands.Add(SimCommand.Build());
root.Subcommands.Add(SandboxCommand.Build());
root.Subcommands.Add(SlaCommand.Build());
root.Subcommands.Add(ReportCommand.Build());
root.Subcommands.Add(ValidateCommand.Build());
root.Subcommands.Add(ManifestsCommand.Build());
// `run` is the default verb: with no verb, or only options, the operator runs.
if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version"))
    args = ["run", .. args];
return await root.Parse(args).InvokeAsync();
