using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.TestSupport;
using FsCheck;
using FsCheck.Fluent;

namespace DematOperator.Tests.Hostile;

/// <summary>
/// Generators of hostile specs for our kinds, shaped by the generated CRD schemas: every field gets either a
/// value of its type chosen to hurt (huge, empty, unicode, negative, overflowing, malformed durations, cron edge
/// cases, PEM garbage, broken URLs) or a value of the wrong type, which the schema must reject.
/// </summary>
public static class HostileSpecs
{
    private static readonly string[] Strings =
    [
        "", " ", "\u0000", "é", "🙂🙂🙂", "Ωmega", new string('x', 5000), "-1h", "0s", "1e308h", "99999999999999h", "1.5.5h", "4 h", "h", "2d", "P1D",
        "* * * * *", "*/0 * * * *", "61 * * * *", "0 0 31 2 *", "@reboot", "@yearly", "0 0 * * 8", "1-0 * * * *", "* * * * * *", "0 0 29 2 1",
        "Europe/Paris", "Mars/Olympus", "UTC", "Etc/GMT+14", "../../etc/passwd",
        "http://", "http://[::1", "ftp://x", "https://platau.example/healthz", "http://127.0.0.1:1/", "javascript:alert(1)",
        "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----", "OR", "ARGENT", "BRONZE", "PLATINE",
        "Velero", "CSISnapshot", "Rehearsal", "Failover", "RSA", "ECDSA", "Always", "Never", "GET", "DELETE", "Deployment", "Pod",
        "2026-13-45", "2026-05-01", "2026-05-12T10:00:00+02:00", "2026-05-12T10:00:00", "24:00", "25:61", "08:00", "Monday", "Funday",
        "platau-prod", "UPPER", "a_b", "[(unclosed", ".*", "(a+)+$", "99.8", "90", "150", "0",
    ];

    private static readonly long[] Numbers = [0, -1, 1, 2, 99, 100, 443, 65535, 65536, int.MaxValue, long.MaxValue, long.MinValue, 2048, 1024, 384];

    /// <summary>A value for a schema node: mostly of its type, sometimes (unless admissible) deliberately of another.</summary>
    public static Gen<JsonNode?> ValueFor(JsonObject schema, int depth, bool admissible)
    {
        var type = (string?)schema["type"];
        var wrong = Gen.OneOf(Gen.Constant<JsonNode?>(JsonValue.Create("not-the-type")), Gen.Constant<JsonNode?>(JsonValue.Create(-7)), Gen.Constant<JsonNode?>(new JsonArray()), Gen.Constant<JsonNode?>(null));
        Gen<JsonNode?> right = type switch
        {
            "string" => schema["enum"] is JsonArray allowed && allowed.Count > 0
                ? Gen.Frequency((12, Gen.Elements(allowed.Select(a => (string)a!).ToArray()).Select(s => (JsonNode?)JsonValue.Create(s))), (admissible ? 0 : 1, Gen.Elements(Strings).Select(s => (JsonNode?)JsonValue.Create(s))))
                : Gen.Frequency((8, Gen.Elements(Fitting(schema)).Select(s => (JsonNode?)JsonValue.Create(s))), (admissible ? 0 : 1, Gen.Elements(Strings).Select(s => (JsonNode?)JsonValue.Create(s)))),
            "integer" => Gen.Frequency((8, Gen.Elements(InRange(schema)).Select(n => (JsonNode?)JsonValue.Create(n))), (admissible ? 0 : 1, Gen.Elements(Numbers).Select(n => (JsonNode?)JsonValue.Create(n)))),
            "number" => Gen.Elements(0.0, -1.0, 1e308, 0.5, 99.9).Select(n => (JsonNode?)JsonValue.Create(n)),
            "boolean" => Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)),
            "array" when depth < 4 && schema["items"] is JsonObject items =>
                Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(ValueFor(items, depth + 1, admissible), n)).Select(a => (JsonNode?)new JsonArray([.. a.Select(x => x?.DeepClone())])),
            "object" when depth < 4 && schema["properties"] is JsonObject props => ObjectFor(props, depth + 1, admissible, Required(schema)).Select(o => (JsonNode?)o),
            "object" => Gen.Elements<JsonNode?>(new JsonObject(), new JsonObject { ["app"] = "x" }),
            _ => Gen.Constant<JsonNode?>(JsonValue.Create("x")),
        };
        return admissible ? right : Gen.Frequency((40, right), (1, wrong));
    }

    /// <summary>The hostile strings that still satisfy the field's pattern and length: the ones the schema lets through.</summary>
    private static string[] Fitting(JsonObject schema)
    {
        var pattern = (string?)schema["pattern"];
        var max = (int?)schema["maxLength"] ?? int.MaxValue;
        var min = (int?)schema["minLength"] ?? 0;
        var fitting = Strings.Where(s => s.Length <= max && s.Length >= min && (pattern is null || System.Text.RegularExpressions.Regex.IsMatch(s, pattern))
                                         && ((string?)schema["format"] != "date-time" || DateTimeOffset.TryParse(s, out _))).ToArray();
        return fitting.Length > 0 ? fitting : pattern is null ? ["x"] : ["1h", "30s", "platau"];
    }

    private static long[] InRange(JsonObject schema)
    {
        var min = (double?)schema["minimum"] ?? double.MinValue;
        var max = (double?)schema["maximum"] ?? double.MaxValue;
        var fitting = Numbers.Where(n => n >= min && n <= max).ToArray();
        return fitting.Length > 0 ? fitting : [(long)Math.Max(min, 0)];
    }

    private static HashSet<string> Required(JsonObject schema) => (schema["required"] as JsonArray ?? []).Select(r => (string)r!).ToHashSet();

    public static Gen<JsonObject> ObjectFor(JsonObject properties, int depth, bool admissible, IReadOnlySet<string>? required = null)
    {
        var fields = properties.Select(p => (p.Key, Schema: (JsonObject)p.Value!)).ToList();
        // One field after the other: each is absent a third of the time.
        var gen = Gen.Constant(new JsonObject());
        foreach (var (key, schema) in fields)
        {
            var present = ValueFor(schema, depth, admissible).Select(v => (Present: true, Value: v));
            // Required fields are there (mostly: their absence is one more thing the schema must catch).
            var fieldGen = required?.Contains(key) == true
                ? Gen.Frequency((30, present), (admissible ? 0 : 1, Gen.Constant((Present: false, Value: (JsonNode?)null))))
                : Gen.Frequency((2, present), (1, Gen.Constant((Present: false, Value: (JsonNode?)null))));
            gen = gen.SelectMany(o => fieldGen.Select(f =>
            {
                var copy = (JsonObject)o.DeepClone();
                if (f.Present) copy[key] = f.Value?.DeepClone();
                return copy;
            }));
        }
        return gen;
    }

    /// <summary>The spec schema of one of our CRDs, from config/crd/bases.</summary>
    public static JsonObject SpecSchema(string plural)
    {
        var crd = YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(RepoPaths.Config, "crd", "bases", $"ops.demat.gouv.fr_{plural}.yaml"))).Single();
        return (JsonObject)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!;
    }

    public static Gen<JsonObject> Specs(string plural)
    {
        var crd = YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(RepoPaths.Config, "crd", "bases", $"ops.demat.gouv.fr_{plural}.yaml"))).Single();
        var spec = (JsonObject)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        // Half the specs stay within the schema's types, patterns and ranges (hostile only in what the schema
        // cannot say); the other half may break it anywhere, for the schema to reject.
        return Gen.Elements(true, false).SelectMany(admissible => ObjectFor(SpecSchema(plural), 0, admissible, Required(spec)));
    }

    /// <summary>The API server's treatment of a spec (defaulting, pruning, validation); null when it would be rejected.</summary>
    public static JsonObject? Admit(string plural, JsonObject spec) => Causes(plural, spec, out var admitted).Count == 0 ? admitted : null;

    public static List<string> Causes(string plural, JsonObject spec, out JsonObject admitted)
    {
        var crd = YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(RepoPaths.Config, "crd", "bases", $"ops.demat.gouv.fr_{plural}.yaml"))).Single();
        var schema = (JsonObject)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;
        var obj = new JsonObject { ["apiVersion"] = "ops.demat.gouv.fr/v1alpha1", ["kind"] = "X", ["metadata"] = new JsonObject { ["name"] = "x", ["namespace"] = "x" }, ["spec"] = spec.DeepClone() };
        DematOperator.Kube.Crd.SchemaValidator.DefaultAndPrune(obj, schema);
        admitted = obj;
        return DematOperator.Kube.Crd.SchemaValidator.Validate(obj, schema).Select(c => $"{c.Field}: {c.Message}").ToList();
    }
}
