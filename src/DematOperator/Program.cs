using System.CommandLine;
using DematOperator.Cli;

var root = new RootCommand("DematOperator: backups, PRA drills, service levels and certificates for the DEMAT'ADS platforms");
root.Subcommands.Add(SimCommand.Build());
return await root.Parse(args).InvokeAsync();
