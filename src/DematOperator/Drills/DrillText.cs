using System.Globalization;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>How a drill writes times for people: local time of the drill's zone, with its offset.</summary>
public static class DrillText
{
    public static string Trigger(DrillTrigger trigger) => trigger == DrillTrigger.Manual ? "manual" : "schedule";

    public static string Local(Instant t, DateTimeZone zone) => Api.PersonTime.Format(t, zone);
}
