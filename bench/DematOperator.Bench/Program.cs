using BenchmarkDotNet.Running;
using DematOperator.Bench;

// bench all | emulator | operator | backups | capabilities | leak | scale [sizes...] | micro
var what = args.FirstOrDefault() ?? "all";
var root = Harness.RepoRoot();
if (what is "micro")
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
    return 0;
}
var results = new List<string>();
if (what is "all" or "emulator") results.AddRange(await EmulatorBench.RunAsync());
if (what is "all" or "operator") results.AddRange(await OperatorBench.RunAsync(root));
if (what is "all" or "backups") results.AddRange(await BackupBench.RunAsync(root));
if (what is "all" or "capabilities") results.AddRange(await CapabilitiesBench.RunAsync(root));
if (what is "all" or "leak") results.AddRange(await LeakBench.RunAsync());
if (what is "all" or "cache") results.AddRange(CacheDietBench.Run());
if (what is "all" or "aot") results.AddRange(await AotBench.RunAsync(root));
if (what is "all" or "churn") results.AddRange(await ChurnBench.RunAsync(root, args.Length > 1 ? int.Parse(args[1]) : 10_000));
if (what is "all" or "scale") results.AddRange(await ScaleBench.RunAsync(root, args.Length > 1 ? args[1..].Select(int.Parse).ToArray() : [100, 1000, 5000]));
Console.WriteLine();
Console.WriteLine("| measure | result |");
Console.WriteLine("|---|---|");
foreach (var r in results) Console.WriteLine(r);
return 0;
