using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Dev;

/// <summary>
/// Builds a CustomResourceDefinition (apiextensions.k8s.io/v1) from a C# resource class, as controller-gen does
/// from Go types: structural openAPIV3Schema with descriptions, required fields, enums, patterns, bounds and
/// defaults; status subresource; printer columns; short names; categories. No CEL: the target clusters run 1.24.
/// </summary>
public static class CrdGenerator
{
    public static JsonObject Generate(Type resource)
    {
        var kind = resource.GetCustomAttribute<KubernetesKindAttribute>() ?? throw new ArgumentException($"{resource} has no [KubernetesKind]");
        var singular = kind.Kind.ToLowerInvariant();
        var schema = new JsonObject
        {
            ["description"] = kind.Description,
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = new JsonObject { ["description"] = "APIVersion defines the versioned schema of this representation of an object.", ["type"] = "string" },
                ["kind"] = new JsonObject { ["description"] = "Kind is a string value representing the REST resource this object represents.", ["type"] = "string" },
                ["metadata"] = new JsonObject { ["type"] = "object" },
            },
        };
        var props = (JsonObject)schema["properties"]!;
        var required = new List<string>();
        foreach (var p in Properties(resource).Where(p => p.Name is not ("ApiVersion" or "Kind" or "Metadata")))
        {
            props[JsonName(p)] = PropertySchema(p, []);
            if (p.GetCustomAttribute<RequiredFieldAttribute>() is not null) required.Add(JsonName(p));
        }
        if (required.Count > 0) schema["required"] = new JsonArray([.. required.Select(r => (JsonNode)JsonValue.Create(r)!)]);
        var hasStatus = props.ContainsKey("status");
        var version = new JsonObject
        {
            ["name"] = kind.Version,
            ["served"] = true,
            ["storage"] = true,
        };
        var columns = resource.GetCustomAttributes<PrinterColumnAttribute>().OrderBy(c => c.Order).ToList();
        if (columns.Count > 0)
        {
            var cols = new JsonArray();
            foreach (var c in columns)
            {
                var col = new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["jsonPath"] = c.JsonPath };
                if (c.Description.Length > 0) col["description"] = c.Description;
                if (c.Priority > 0) col["priority"] = c.Priority;
                cols.Add(col);
            }
            cols.Add(new JsonObject { ["name"] = "Age", ["type"] = "date", ["jsonPath"] = ".metadata.creationTimestamp" });
            version["additionalPrinterColumns"] = cols;
        }
        version["schema"] = new JsonObject { ["openAPIV3Schema"] = schema };
        if (hasStatus) version["subresources"] = new JsonObject { ["status"] = new JsonObject() };
        var names = new JsonObject
        {
            ["kind"] = kind.Kind,
            ["listKind"] = kind.Kind + "List",
            ["plural"] = kind.Plural,
            ["singular"] = singular,
        };
        if (kind.ShortNames.Length > 0) names["shortNames"] = new JsonArray([.. kind.ShortNames.Select(s => (JsonNode)JsonValue.Create(s)!)]);
        if (kind.Categories.Length > 0) names["categories"] = new JsonArray([.. kind.Categories.Select(s => (JsonNode)JsonValue.Create(s)!)]);
        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject { ["name"] = $"{kind.Plural}.{kind.Group}" },
            ["spec"] = new JsonObject
            {
                ["group"] = kind.Group,
                ["names"] = names,
                ["scope"] = kind.Namespaced ? "Namespaced" : "Cluster",
                ["versions"] = new JsonArray(version),
            },
        };
    }

    private static IEnumerable<PropertyInfo> Properties(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetMethod is not null && p.SetMethod is not null)
            .OrderBy(p => p.MetadataToken);

    private static string JsonName(PropertyInfo p) =>
        p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name);

    private static JsonObject PropertySchema(PropertyInfo p, HashSet<Type> visiting)
    {
        var schema = TypeSchema(p.PropertyType, visiting, p);
        if (p.GetCustomAttribute<DocAttribute>() is { } doc) schema["description"] = doc.Text;
        else if (schema["description"] is null && (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType).GetCustomAttribute<DocAttribute>() is { } typeDoc)
            schema["description"] = typeDoc.Text;
        if (p.GetCustomAttribute<EnumValuesAttribute>() is { } e) schema["enum"] = new JsonArray([.. e.Values.Select(v => (JsonNode)JsonValue.Create(v)!)]);
        if (p.GetCustomAttribute<PatternAttribute>() is { } pat) schema["pattern"] = pat.Regex;
        if (p.GetCustomAttribute<FormatAttribute>() is { } fmt) schema["format"] = fmt.Format;
        if (p.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            schema["minimum"] = range.Minimum;
            if (!double.IsNaN(range.Maximum)) schema["maximum"] = range.Maximum;
        }
        if (p.GetCustomAttribute<LengthAttribute>() is { } len)
        {
            schema["minLength"] = len.Min;
            if (len.Max >= 0) schema["maxLength"] = len.Max;
        }
        if (p.GetCustomAttribute<ItemsAttribute>() is { } items)
        {
            schema["minItems"] = items.Min;
            if (items.Max >= 0) schema["maxItems"] = items.Max;
        }
        if (p.GetCustomAttribute<DefaultAttribute>() is { } def) schema["default"] = JsonNode.Parse(def.Json);
        if (p.GetCustomAttribute<PreserveUnknownFieldsAttribute>() is not null) schema["x-kubernetes-preserve-unknown-fields"] = true;
        return Ordered(schema);
    }

    /// <summary>Stable key order (description first, then type, then the rest alphabetically) so generated YAML diffs well.</summary>
    private static JsonObject Ordered(JsonObject schema)
    {
        var result = new JsonObject();
        foreach (var key in new[] { "description", "type", "format" }.Where(schema.ContainsKey).Concat(schema.Select(p => p.Key).Where(k => k is not ("description" or "type" or "format")).Order(StringComparer.Ordinal)).ToList())
            result[key] = schema[key]?.DeepClone();
        return result;
    }

    /// <summary>An enum's values as they are serialised: JsonStringEnumMemberName when given, else the member's name.</summary>
    private static IEnumerable<string> EnumNames(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name);

    private static JsonObject TypeSchema(Type type, HashSet<Type> visiting, PropertyInfo? owner = null)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return new JsonObject { ["type"] = "string" };
        if (type == typeof(bool)) return new JsonObject { ["type"] = "boolean" };
        // The API server does not enforce `format: int32`: without bounds a value past int32 would be stored and then
        // fail to decode in the operator, stalling every object of the kind. The schema refuses it instead.
        if (type == typeof(int)) return new JsonObject { ["type"] = "integer", ["format"] = "int32", ["minimum"] = (double)int.MinValue, ["maximum"] = (double)int.MaxValue };
        if (type == typeof(long)) return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        if (type == typeof(double)) return new JsonObject { ["type"] = "number" };
        if (type == typeof(DateTimeOffset)) return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        if (type.IsEnum) return new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. EnumNames(type).Select(n => (JsonNode)JsonValue.Create(n)!)]) };
        if (type == typeof(JsonObject)) return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        if (type == typeof(Condition)) return ConditionSchema();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = TypeSchema(type.GetGenericArguments()[1], visiting) };
        var element = type.IsArray ? type.GetElementType() : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;
        if (element is not null)
        {
            var arr = new JsonObject { ["type"] = "array", ["items"] = TypeSchema(element, visiting) };
            if (element == typeof(Condition))
            {
                arr["x-kubernetes-list-type"] = "map";
                arr["x-kubernetes-list-map-keys"] = new JsonArray("type");
            }
            return arr;
        }
        if (!visiting.Add(type)) throw new InvalidOperationException($"recursive type {type.Name} cannot be a structural schema");
        var props = new JsonObject();
        var required = new List<string>();
        foreach (var p in Properties(type))
        {
            props[JsonName(p)] = PropertySchema(p, visiting);
            if (p.GetCustomAttribute<RequiredFieldAttribute>() is not null) required.Add(JsonName(p));
        }
        visiting.Remove(type);
        var schema = new JsonObject { ["type"] = "object", ["properties"] = props };
        if (type.GetCustomAttribute<DocAttribute>() is { } doc) schema["description"] = doc.Text;
        if (required.Count > 0) schema["required"] = new JsonArray([.. required.Select(r => (JsonNode)JsonValue.Create(r)!)]);
        return schema;
    }

    /// <summary>metav1.Condition's schema, with the validation the apimachinery type declares.</summary>
    private static JsonObject ConditionSchema() => new()
    {
        ["description"] = "Condition contains details for one aspect of the current state of this API Resource.",
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["lastTransitionTime"] = new JsonObject { ["description"] = "Last time the condition transitioned from one status to another.", ["type"] = "string", ["format"] = "date-time" },
            ["message"] = new JsonObject { ["description"] = "A human readable message indicating details about the transition.", ["type"] = "string", ["maxLength"] = 32768 },
            ["observedGeneration"] = new JsonObject { ["description"] = "The .metadata.generation that the condition was set based upon.", ["type"] = "integer", ["format"] = "int64", ["minimum"] = 0 },
            ["reason"] = new JsonObject
            {
                ["description"] = "A programmatic identifier indicating the reason for the condition's last transition, in CamelCase.",
                ["type"] = "string", ["maxLength"] = 1024, ["minLength"] = 1, ["pattern"] = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
            },
            ["status"] = new JsonObject { ["description"] = "status of the condition, one of True, False, Unknown.", ["type"] = "string", ["enum"] = new JsonArray("True", "False", "Unknown") },
            ["type"] = new JsonObject { ["description"] = "type of condition in CamelCase.", ["type"] = "string", ["maxLength"] = 316, ["pattern"] = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$" },
        },
        ["required"] = new JsonArray("lastTransitionTime", "message", "reason", "status", "type"),
    };
}
