using System.CommandLine;
using DematOperator.Cli;

// The shipped operator: `run` and the offline tools an ops engineer uses against real clusters. The sandbox,
// the emulator and the manifest generator live in DematOperator.Dev, never in the image.
var root = new RootCommand("DematOperator: backups, PRA drills, service levels and certificates for the DEMAT'ADS platforms");
var run = RunCommand.Build();
root.Subcommands.Add(run);
root.Subcommands.Add(SlaCommand.Build());
root.Subcommands.Add(ReportCommand.Build());
root.Subcommands.Add(ValidateCommand.Build());
// `run` is the default verb: with no verb, or only options, the operator runs.
if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version"))
    args = ["run", .. args];
return await root.Parse(args).InvokeAsync();
