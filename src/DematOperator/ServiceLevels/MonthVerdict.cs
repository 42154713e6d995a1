using System.Globalization;
using DematOperator.Kube.Api;
using DematOperator.Kube.Writes;

namespace DematOperator.ServiceLevels;

/// <summary>
/// One verdict per month, said once: the column `kubectl get sl` shows, the condition ObjectiveMet and the report all
/// read it from the same figures, so they can never contradict each other.
/// </summary>
public static class MonthVerdict
{
    public const string Met = "atteint", NotMet = "non atteint", InsufficientData = "données insuffisantes", NotApplicable = "sans objet";

    /// <param name="met">Null when there was no service time to judge.</param>
    public static string Of(bool insufficientData, bool? met) =>
        insufficientData ? InsufficientData : met switch { true => Met, false => NotMet, null => NotApplicable };

    /// <summary>
    /// ObjectiveMet for the current month: True or False only with a verdict; Unknown with the reason InsufficientData
    /// (coverage below the minimum) or NoServiceTime. The message quotes the same availability, coverage and budget as the
    /// columns.
    /// </summary>
    public static Condition ObjectiveMet(MonthFigures month, double objective, long? generation)
    {
        var objectiveText = (objective * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";
        var figures = $"{month.Month} so far: availability {month.AvailabilityPercent} over {month.CoveragePercent} of the service time measured, "
                      + $"objective {objectiveText}";
        var budget = $"{figures}, {month.ErrorBudgetRemainingPercent} of the error budget left";
        return month.Verdict switch
        {
            Met => Conditions.Make("ObjectiveMet", true, "WithinBudget", budget, generation),
            NotMet => Conditions.Make("ObjectiveMet", false, "BudgetExhausted", budget, generation),
            InsufficientData => Conditions.Make("ObjectiveMet", null, "InsufficientData",
                $"{figures}: too little measured for a verdict (données insuffisantes)", generation),
            _ => Conditions.Make("ObjectiveMet", null, "NoServiceTime", $"{month.Month}: no service time yet, nothing to judge (sans objet)", generation),
        };
    }
}
