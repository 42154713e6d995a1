using System.CommandLine;
using DematOperator.Dev;

// The development tools, apart from the shipped operator: the sandbox (two emulated clusters with the samples and
// an operator each), the bare emulator, and the generator of config/crd and config/prometheus from the C# types.
var root = new RootCommand("DematOperator development tools: sandbox, emulator, manifests");
root.Subcommands.Add(SandboxCommand.Build());
root.Subcommands.Add(SimCommand.Build());
root.Subcommands.Add(ManifestsCommand.Build());
return await root.Parse(args).InvokeAsync();
