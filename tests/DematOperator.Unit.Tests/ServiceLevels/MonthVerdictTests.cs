using DematOperator.ServiceLevels;
using NodaTime;
using static DematOperator.Tests.ParisTime;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>The column, the condition and the report say one verdict: hand-computed ARGENT days of May 2026 (Europe/Paris).</summary>
public sealed class MonthVerdictTests
{
    private static readonly YearMonth May = new(2026, 5);

    private static ServiceLevelSettings Argent()
    {
        ServiceLevelChecks.Resolve(new ServiceLevelSpec { Tier = "ARGENT", Environment = "production" }, out var settings).Where(p => !p.Warning).ShouldBeEmpty();
        return settings!;
    }

    private static IncidentStatus Blocking(string from, string to) =>
        new() { Id = from, Severity = "blocking", Start = At(from).ToDateTimeOffset(), End = At(to).ToDateTimeOffset() };

    /// <summary>
    /// Created on Thursday 28 May at 17:00 and read at 17:30 (the sandbox's case): May's service time so far is 15 days
    /// (19 weekdays before the 28th, less the holidays of 1, 8, 14 and 25 May) × 10 h, plus 08:00-17:30 on the 28th =
    /// 159 h 30 m, of which only 30 minutes were measured (0.313 %): an outage of 10 minutes in them makes the measured
    /// availability 66.667 %, and nothing can be said of the month.
    /// </summary>
    [Fact]
    public void Too_little_measured_is_donnees_insuffisantes_in_the_column_and_Unknown_in_the_condition()
    {
        var now = At("2026-05-28T17:30:00");
        var unknown = new[] { new TimeSpanInterval(At("2026-05-01T00:00:00"), At("2026-05-28T17:00:00")) };
        var month = ServiceLevelLedger.Figures(Argent(), May, [Blocking("2026-05-28T17:10:00", "2026-05-28T17:20:00")], unknown, now);
        month.ServiceSeconds.ShouldBe(15 * 10 * 3600 + 9 * 3600 + 30 * 60);
        month.AvailabilityPercent.ShouldBe("66.667%");
        month.CoveragePercent.ShouldBe("0.313%", "30 min of 159 h 30 m");
        month.Verdict.ShouldBe("données insuffisantes");
        month.Met.ShouldBeNull();
        var condition = MonthVerdict.ObjectiveMet(month, 0.995, 1);
        condition.Status.ShouldBe("Unknown", "never True beside an availability of 66.667 %");
        condition.Reason.ShouldBe("InsufficientData");
        condition.Message.ShouldContain("availability 66.667% over 0.313% of the service time measured");
    }

    [Fact]
    public void Measured_months_give_the_same_verdict_in_the_column_and_the_condition()
    {
        var settings = Argent();
        // Whole month measured, read at its end (31 May 23:00): 170 h of service; ARGENT allows 0.5 % = 51 min.
        var end = At("2026-05-31T23:00:00");
        var met = ServiceLevelLedger.Figures(settings, May, [Blocking("2026-05-12T10:00:00", "2026-05-12T10:50:00")], [], end);
        met.Verdict.ShouldBe("atteint");
        MonthVerdict.ObjectiveMet(met, 0.995, 1).Status.ShouldBe("True");
        var missed = ServiceLevelLedger.Figures(settings, May, [Blocking("2026-05-12T10:00:00", "2026-05-12T10:52:00")], [], end);
        missed.AvailabilityPercent.ShouldBe("99.490%", "1 − 52 / 10 200 minutes");
        missed.Verdict.ShouldBe("non atteint");
        var condition = MonthVerdict.ObjectiveMet(missed, 0.995, 1);
        (condition.Status, condition.Reason).ShouldBe(("False", "BudgetExhausted"));
        condition.Message.ShouldContain("availability 99.490% over 100.000% of the service time measured");
    }

    [Fact]
    public void A_month_without_service_time_yet_is_sans_objet()
    {
        // Friday 1 May is a holiday: nothing of ARGENT's service time has come by its evening.
        var month = ServiceLevelLedger.Figures(Argent(), May, [], [], At("2026-05-01T20:00:00"));
        month.Verdict.ShouldBe("sans objet");
        month.AvailabilityPercent.ShouldBe("—");
        (MonthVerdict.ObjectiveMet(month, 0.995, 1).Status, MonthVerdict.ObjectiveMet(month, 0.995, 1).Reason).ShouldBe(("Unknown", "NoServiceTime"));
    }

    /// <summary>The condition's whole message, each verdict: what a person reads in `kubectl describe sl`, written here by hand.</summary>
    [Theory]
    [InlineData("atteint", 0.995, "True", "WithinBudget",
        "2026-05 so far: availability 99.900% over 100.000% of the service time measured, objective 99.5%, 80.000% of the error budget left")]
    [InlineData("non atteint", 0.9995, "False", "BudgetExhausted",
        "2026-05 so far: availability 99.900% over 100.000% of the service time measured, objective 99.95%, 80.000% of the error budget left")]
    [InlineData("données insuffisantes", 0.998, "Unknown", "InsufficientData",
        "2026-05 so far: availability 99.900% over 100.000% of the service time measured, objective 99.8%: too little measured for a verdict (données insuffisantes)")]
    [InlineData("sans objet", 0.99, "Unknown", "NoServiceTime", "2026-05: no service time yet, nothing to judge (sans objet)")]
    [InlineData("atteint", 0.1234567, "True", "WithinBudget",
        "2026-05 so far: availability 99.900% over 100.000% of the service time measured, objective 12.346%, 80.000% of the error budget left")]
    public void The_condition_says_the_verdict_with_the_figures_of_the_columns(string verdict, double objective, string status, string reason, string message)
    {
        var month = new MonthFigures
        {
            Month = "2026-05", AvailabilityPercent = "99.900%", CoveragePercent = "100.000%", ErrorBudgetRemainingPercent = "80.000%", Verdict = verdict,
        };
        var condition = MonthVerdict.ObjectiveMet(month, objective, 7);
        (condition.Type, condition.Status, condition.Reason, condition.Message, condition.ObservedGeneration).ShouldBe(("ObjectiveMet", status, reason, message, 7L));
    }

    [Theory]
    [InlineData(true, true, "données insuffisantes")]
    [InlineData(true, null, "données insuffisantes")]
    [InlineData(false, true, "atteint")]
    [InlineData(false, false, "non atteint")]
    [InlineData(false, null, "sans objet")]
    public void The_verdict_of_a_month(bool insufficientData, bool? met, string verdict) => MonthVerdict.Of(insufficientData, met).ShouldBe(verdict);
}
