using DematOperator.Api;
using System.Text.Json.Nodes;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using NodaTime;

namespace DematOperator.Tests.Backups;

public sealed class RunObservationTests
{
    /// <summary>A Velero Backup as the API server sends it, read through the operator's typed model.</summary>
    private static VeleroBackup Velero(string? phase, string extra = "") => Read(new DynamicObject
    {
        Metadata = new ObjectMeta { Name = "b", CreationTimestamp = DateTimeOffset.Parse("2026-05-12T01:00:00Z"), Labels = new() { [RunLabels.Run] = "p-202605120100" } },
        Fields = Status(phase, extra),
    }, ForeignJsonContext.Default.VeleroBackup);

    private static T Read<T>(DynamicObject o, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.Serialize(o, KubeJsonContext.Default.DynamicObject), info)!;

    private static JsonObject Status(string? phase, string extra)
    {
        var status = JsonNode.Parse("{\"startTimestamp\":\"2026-05-12T01:00:05Z\",\"completionTimestamp\":\"2026-05-12T01:04:00Z\"" + extra + "}")!.AsObject();
        if (phase is not null) status["phase"] = phase;
        return new JsonObject { ["status"] = status };
    }

    [Theory]
    [InlineData("Completed", RunPhase.Succeeded, true)]
    [InlineData("PartiallyFailed", RunPhase.Failed, false)]
    [InlineData("Failed", RunPhase.Failed, false)]
    [InlineData("FailedValidation", RunPhase.Failed, false)]
    [InlineData("InProgress", RunPhase.Running, false)]
    [InlineData("WaitingForPluginOperations", RunPhase.Running, false)]
    [InlineData("SomePhaseFromVelero2030", RunPhase.Running, false)]
    [InlineData(null, RunPhase.Running, false)]
    public void Velero_phases_map_and_only_completed_is_a_recovery_point(string? phase, RunPhase expected, bool recoveryPoint)
    {
        var run = RunObservation.FromVelero(Velero(phase));
        run.Phase.ShouldBe(expected);
        run.Name.ShouldBe("p-202605120100");
        (run.RecoveryPoint is not null).ShouldBe(recoveryPoint);
        if (recoveryPoint) run.RecoveryPoint.ShouldBe(Instant.FromUtc(2026, 5, 12, 1, 0, 5));
    }

    [Fact]
    public void Velero_failure_reason_is_kept()
    {
        RunObservation.FromVelero(Velero("Failed", ",\"failureReason\":\"bucket unreachable\"")).Error.ShouldContain("bucket unreachable");
    }

    private static VolumeSnapshot Snapshot(string name, string status, string? annotation = null) => Read(new DynamicObject
    {
        Metadata = new ObjectMeta
        {
            Name = name, CreationTimestamp = DateTimeOffset.Parse("2026-05-12T01:00:00Z"),
            Annotations = annotation is null ? null : new() { [RunLabels.FailedAnnotation] = annotation },
        },
        Fields = new JsonObject { ["status"] = JsonNode.Parse(status) },
    }, ForeignJsonContext.Default.VolumeSnapshot);

    [Fact]
    public void Csi_run_succeeds_when_every_snapshot_is_ready_with_the_oldest_creation_time_as_recovery_point()
    {
        var run = RunObservation.FromSnapshots("r", [
            Snapshot("a", """{"readyToUse":true,"creationTime":"2026-05-12T01:00:02Z"}"""),
            Snapshot("b", """{"readyToUse":true,"creationTime":"2026-05-12T01:00:09Z"}"""),
        ]);
        run.Phase.ShouldBe(RunPhase.Succeeded);
        run.RecoveryPoint.ShouldBe(Instant.FromUtc(2026, 5, 12, 1, 0, 2));
    }

    [Fact]
    public void Csi_run_is_running_until_all_are_ready_and_fails_on_an_error_or_a_recorded_timeout()
    {
        RunObservation.FromSnapshots("r", [Snapshot("a", """{"readyToUse":true}"""), Snapshot("b", """{"readyToUse":false}""")]).Phase.ShouldBe(RunPhase.Running);
        var failed = RunObservation.FromSnapshots("r", [Snapshot("a", """{"readyToUse":true}"""), Snapshot("b", """{"error":{"message":"quota exceeded"}}""")]);
        failed.Phase.ShouldBe(RunPhase.Failed);
        failed.Error.ShouldBe("quota exceeded");
        RunObservation.FromSnapshots("r", [Snapshot("a", "{}", "snapshots not ready after 10m")]).Phase.ShouldBe(RunPhase.Failed);
    }

    [Theory]
    [InlineData("4h", 4 * 3600)]
    [InlineData("90m", 90 * 60)]
    [InlineData("1h30m", 90 * 60)]
    [InlineData("1.5h", 90 * 60)]
    [InlineData("720h", 720 * 3600)]
    [InlineData("45s", 45)]
    public void Go_durations_parse(string text, int seconds) => Durations.Parse(text).ShouldBe(Duration.FromSeconds(seconds));

    [Theory]
    [InlineData("4 hours")]
    [InlineData("4d")]
    [InlineData("h")]
    [InlineData("1000000h")]
    public void Bad_durations_are_refused(string text) => Should.Throw<FormatException>(() => Durations.Parse(text));

    [Fact]
    public void Run_names_come_from_the_utc_slot_and_long_names_stay_valid()
    {
        RunLabels.RunName("mongo", Instant.FromUtc(2026, 5, 12, 1, 30)).ShouldBe("mongo-202605120130");
        var longName = RunLabels.RunName(new string('p', 80), Instant.FromUtc(2026, 5, 12, 1, 30));
        longName.Length.ShouldBeLessThanOrEqualTo(63);
        longName.ShouldNotBe(RunLabels.RunName(new string('p', 80), Instant.FromUtc(2026, 5, 12, 2, 30)));
    }
}
