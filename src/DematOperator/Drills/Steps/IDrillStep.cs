using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Drills.Steps;

/// <summary>
/// One step of a run. It looks at the world, does its own part idempotently (deterministic names, records on what
/// it touched, so it can be called again after a restart or a leader change), writes what it found into the
/// run's evidence fields, and says where it stands. It never moves the run along: <see cref="DrillRunMachine"/> does.
/// </summary>
public interface IDrillStep
{
    DrillStepName Name { get; }
    Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct);
}

/// <summary>What a step works with: the drill, its resolved settings, the recovery cluster, the run (whose evidence it fills) and the time.</summary>
public sealed class DrillRunContext(PraDrill drill, DrillSettings settings, KubeClient target, DrillRunStatus run, Instant now)
{
    public PraDrill Drill { get; } = drill;
    public DrillSettings Settings { get; } = settings;
    public KubeClient Target { get; } = target;
    public DrillRunStatus Run { get; } = run;
    public Instant Now { get; } = now;

    /// <summary>Written on everything the run touches: `namespace/drill/run`.</summary>
    public string RunKey => $"{Drill.Namespace}/{Drill.Name}/{Run.Name}";
    /// <summary>The engine the drill restores with (spec.backup.engine).</summary>
    public Engines.IRestoreEngine Engine => Engines.RestoreEngines.For(Drill);
    /// <summary>The engine's namespace on the target, where the drill's Lease lives.</summary>
    public string EngineNamespace => Engine.Namespace(Drill);
    public IEnumerable<string> TargetNamespaces => Drill.Spec.Source.Namespaces.Select(Settings.TargetNamespace);
    public bool Rehearsal => !Settings.Failover;

    /// <summary>How long the current step has been running.</summary>
    public Duration StepElapsed => Run.Step is { } name && DrillRunMachine.StepOf(Run, name).StartTime is { } start
        ? Now - Instant.FromDateTimeOffset(start)
        : Duration.Zero;
}
