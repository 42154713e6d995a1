using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DematOperator.Kube.Api;

namespace DematOperator.Kube.Crd;

/// <summary>
/// What the apiextensions-apiserver does to a custom resource with its CRD's openAPIV3Schema:
/// defaulting, pruning of unknown fields, then validation with field paths and messages in the
/// server's wording. Also checks that a CRD's schema is structural.
/// </summary>
public static class SchemaValidator
{
    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
        "finalizers", "managedFields", "selfLink",
    ];

    /// <summary>Applies `default`s, then prunes unknown fields (root apiVersion/kind/metadata always kept).</summary>
    /// <returns>The paths of the fields pruned (for fieldValidation=Strict|Warn).</returns>
    public static List<string> DefaultAndPrune(JsonObject obj, JsonObject schema)
    {
        Default(obj, schema);
        var pruned = new List<string>();
        PruneObject(obj, schema, isRoot: true, "", pruned);
        return pruned;
    }

    public static void Default(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject o:
                if (schema["properties"] is JsonObject props)
                    foreach (var (name, propSchema) in props)
                    {
                        if (propSchema is not JsonObject ps) continue;
                        if (!o.ContainsKey(name) && ps["default"] is { } def) o[name] = def.DeepClone();
                        if (o[name] is { } child) Default(child, ps);
                    }
                if (schema["additionalProperties"] is JsonObject ap)
                    foreach (var (name, child) in o.ToList())
                        if (child is not null && (schema["properties"] as JsonObject)?.ContainsKey(name) != true) Default(child, ap);
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                foreach (var item in a) if (item is not null) Default(item, items);
                break;
        }
    }

    private static void PruneObject(JsonObject o, JsonObject schema, bool isRoot, string path, List<string> pruned)
    {
        if (IsTrue(schema, "x-kubernetes-preserve-unknown-fields") && schema["properties"] is null) return;
        var props = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var embedded = isRoot || IsTrue(schema, "x-kubernetes-embedded-resource");
        foreach (var (name, child) in o.ToList())
        {
            if (embedded && name is "apiVersion" or "kind") continue;
            if (embedded && name == "metadata")
            {
                if (child is JsonObject meta) PruneMetadata(meta, pruned);
                continue;
            }
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (props?[name] is JsonObject ps) { Prune(child, ps, childPath, pruned); continue; }
            if (additional is JsonObject aps) { Prune(child, aps, childPath, pruned); continue; }
            if (additional is JsonValue v && v.TryGetValue<bool>(out var allowed) && allowed) continue;
            if (IsTrue(schema, "x-kubernetes-preserve-unknown-fields")) continue;
            o.Remove(name);
            pruned.Add(childPath);
        }
    }

    private static void PruneMetadata(JsonObject meta, List<string> pruned)
    {
        foreach (var (name, _) in meta.ToList())
            if (!ObjectMetaFields.Contains(name)) { meta.Remove(name); pruned.Add($"metadata.{name}"); }
    }

    private static void Prune(JsonNode? node, JsonObject schema, string path, List<string> pruned)
    {
        switch (node)
        {
            case JsonObject o: PruneObject(o, schema, isRoot: false, path, pruned); break;
            case JsonArray a when schema["items"] is JsonObject items:
                for (var i = 0; i < a.Count; i++) Prune(a[i], items, $"{path}[{i}]", pruned);
                break;
        }
    }

    public static List<StatusCause> Validate(JsonNode? root, JsonObject schema)
    {
        var causes = new List<StatusCause>();
        if (root is JsonObject o)
        {
            // metadata is validated as ObjectMeta by the server, never by the CRD schema.
            var copy = new JsonObject();
            foreach (var (k, v) in o) if (k != "metadata") copy[k] = v?.DeepClone();
            ValidateNode(copy, schema, "", causes);
        }
        return causes;
    }

    private static void ValidateNode(JsonNode? node, JsonObject schema, string path, List<StatusCause> causes)
    {
        if (node is null)
        {
            if (!IsTrue(schema, "nullable") && schema["type"] is not null && path.Length > 0)
                causes.Add(new("FieldValueTypeInvalid", $"Invalid value: \"null\": {path} in body must be of type {(string?)schema["type"]}: \"null\"", path));
            return;
        }
        var type = (string?)schema["type"];
        var intOrString = IsTrue(schema, "x-kubernetes-int-or-string");
        var actual = JsonTypeOf(node);
        if (intOrString)
        {
            if (actual is not ("integer" or "string"))
            {
                causes.Add(new("FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type integer,string: \"{actual}\"", path));
                return;
            }
        }
        else if (type is not null && !TypeMatches(type, actual))
        {
            causes.Add(new("FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type {type}: \"{actual}\"", path));
            return;
        }

        if (schema["enum"] is JsonArray enumValues && !enumValues.Any(e => JsonNode.DeepEquals(e, node)))
        {
            var supported = string.Join(", ", enumValues.Select(Render));
            causes.Add(new("FieldValueNotSupported", $"Unsupported value: {Render(node)}: supported values: {supported}", path));
        }

        switch (node)
        {
            case JsonObject o:
                if (schema["required"] is JsonArray required)
                    foreach (var r in required)
                    {
                        var name = (string?)r;
                        if (name is not null && !o.ContainsKey(name))
                            causes.Add(new("FieldValueRequired", "Required value", Join(path, name)));
                    }
                if (schema["minProperties"] is { } minP && o.Count < Num(minP))
                    causes.Add(new("FieldValueInvalid", $"Invalid value: {o.Count}: {path} in body should have at least {Num(minP)} properties", path));
                if (schema["maxProperties"] is { } maxP && o.Count > Num(maxP))
                    causes.Add(new("FieldValueTooMany", $"Too many: {o.Count}: must have at most {Num(maxP)} items", path));
                var props = schema["properties"] as JsonObject;
                foreach (var (name, child) in o)
                {
                    if (props?[name] is JsonObject ps) ValidateNode(child, ps, Join(path, name), causes);
                    else if (schema["additionalProperties"] is JsonObject aps) ValidateNode(child, aps, Join(path, name), causes);
                }
                break;
            case JsonArray a:
                if (schema["minItems"] is { } minI && a.Count < Num(minI))
                    causes.Add(new("FieldValueInvalid", $"Invalid value: {a.Count}: {path} in body should have at least {Num(minI)} items", path));
                if (schema["maxItems"] is { } maxI && a.Count > Num(maxI))
                    causes.Add(new("FieldValueTooMany", $"Too many: {a.Count}: must have at most {Num(maxI)} items", path));
                if (IsTrue(schema, "uniqueItems") || (string?)schema["x-kubernetes-list-type"] == "set")
                    for (var i = 0; i < a.Count; i++)
                        for (var j = 0; j < i; j++)
                            if (JsonNode.DeepEquals(a[i], a[j]))
                                causes.Add(new("FieldValueDuplicate", $"Duplicate value: {Render(a[i])}", $"{path}[{i}]"));
                if (schema["items"] is JsonObject items)
                    for (var i = 0; i < a.Count; i++) ValidateNode(a[i], items, $"{path}[{i}]", causes);
                break;
            case JsonValue v when actual == "string":
                var s = v.GetValue<string>();
                if (schema["maxLength"] is { } maxL && s.Length > Num(maxL))
                    causes.Add(new("FieldValueTooLong", $"Too long: may not be more than {Num(maxL)} bytes", path));
                if (schema["minLength"] is { } minL && s.Length < Num(minL))
                    causes.Add(new("FieldValueInvalid", $"Invalid value: \"{s}\": {path} in body should be at least {Num(minL)} chars long", path));
                if ((string?)schema["pattern"] is { } pattern && !SafeMatch(s, pattern))
                    causes.Add(new("FieldValueInvalid", $"Invalid value: \"{s}\": {path} in body should match '{pattern}'", path));
                if ((string?)schema["format"] is { } format && !FormatMatches(format, s))
                    causes.Add(new("FieldValueInvalid", $"Invalid value: \"{s}\": {path} in body must be of type {format}: \"{s}\"", path));
                break;
            case JsonValue v when actual is "integer" or "number":
                var d = Num(v);
                if (schema["minimum"] is { } min)
                {
                    var excl = IsTrue(schema, "exclusiveMinimum");
                    if (excl ? d <= Num(min) : d < Num(min))
                        causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(v)}: {path} in body should be greater than {(excl ? "" : "or equal to ")}{Render(min)}", path));
                }
                if (schema["maximum"] is { } max)
                {
                    var excl = IsTrue(schema, "exclusiveMaximum");
                    if (excl ? d >= Num(max) : d > Num(max))
                        causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(v)}: {path} in body should be less than {(excl ? "" : "or equal to ")}{Render(max)}", path));
                }
                if (schema["multipleOf"] is { } mult && Num(mult) != 0 && Math.Abs(d / Num(mult) - Math.Round(d / Num(mult))) > 1e-9)
                    causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(v)}: {path} in body should be a multiple of {Render(mult)}", path));
                break;
        }

        if (schema["allOf"] is JsonArray allOf)
            foreach (var sub in allOf.OfType<JsonObject>()) ValidateNode(node, Inherit(sub, schema), path, causes);
        if (schema["anyOf"] is JsonArray anyOf && !anyOf.OfType<JsonObject>().Any(sub => Passes(node, Inherit(sub, schema), path)))
            causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(node)}: {path} in body must match at least one schema (anyOf)", path));
        if (schema["oneOf"] is JsonArray oneOf && oneOf.OfType<JsonObject>().Count(sub => Passes(node, Inherit(sub, schema), path)) != 1)
            causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(node)}: {path} in body must validate one and only one schema (oneOf)", path));
        if (schema["not"] is JsonObject not && Passes(node, Inherit(not, schema), path))
            causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(node)}: {path} in body must not validate the schema (not)", path));
    }

    /// <summary>Value validations under allOf/anyOf/oneOf carry no type in a structural schema: they use the outer one.</summary>
    private static JsonObject Inherit(JsonObject sub, JsonObject outer)
    {
        if (sub["type"] is not null || outer["type"] is null) return sub;
        var copy = (JsonObject)sub.DeepClone();
        copy["type"] = outer["type"]!.DeepClone();
        if (IsTrue(outer, "x-kubernetes-int-or-string")) copy["x-kubernetes-int-or-string"] = true;
        return copy;
    }

    private static bool Passes(JsonNode? node, JsonObject schema, string path)
    {
        var c = new List<StatusCause>();
        ValidateNode(node, schema, path, c);
        return c.Count == 0;
    }

    /// <summary>Structural-schema rules the apiextensions-apiserver enforces when a CRD is written.</summary>
    public static List<StatusCause> CheckStructural(JsonObject schema, string basePath)
    {
        var causes = new List<StatusCause>();
        if ((string?)schema["type"] != "object")
            causes.Add(new("FieldValueInvalid", "Invalid value: \"" + ((string?)schema["type"] ?? "") + "\": must be object at the root", basePath + ".type"));
        CheckStructuralNode(schema, basePath, causes, isRoot: true);
        return causes;
    }

    private static void CheckStructuralNode(JsonObject schema, string path, List<StatusCause> causes, bool isRoot)
    {
        if (schema["properties"] is JsonObject props)
            foreach (var (name, child) in props)
            {
                if (child is not JsonObject cs) continue;
                var childPath = $"{path}.properties[{name}]";
                var hasType = cs["type"] is JsonValue tv && ((string?)tv)?.Length > 0;
                if (!hasType && !IsTrue(cs, "x-kubernetes-int-or-string") && !IsTrue(cs, "x-kubernetes-preserve-unknown-fields"))
                    causes.Add(new("FieldValueRequired", "Required value: must not be empty for specified object fields", childPath + ".type"));
                if (isRoot && name == "metadata" && cs["properties"] is JsonObject mp)
                    foreach (var (mname, _) in mp)
                        if (mname is not ("name" or "generateName"))
                            causes.Add(new("FieldValueForbidden", "Forbidden: must not be specified", $"{childPath}.properties[{mname}]"));
                CheckStructuralNode(cs, childPath, causes, isRoot: false);
            }
        if ((string?)schema["type"] == "array")
        {
            if (schema["items"] is JsonObject items)
            {
                var hasType = items["type"] is JsonValue;
                if (!hasType && !IsTrue(items, "x-kubernetes-int-or-string") && !IsTrue(items, "x-kubernetes-preserve-unknown-fields"))
                    causes.Add(new("FieldValueRequired", "Required value: must not be empty for specified array items", path + ".items.type"));
                CheckStructuralNode(items, path + ".items", causes, isRoot: false);
            }
            else causes.Add(new("FieldValueRequired", "Required value: must be specified", path + ".items"));
        }
        if (schema["additionalProperties"] is JsonObject ap) CheckStructuralNode(ap, path + ".additionalProperties", causes, isRoot: false);
        // int-or-string fields legitimately carry `anyOf: [{type: integer}, {type: string}]`, so only
        // the keys that change the shape of the data are refused under a junctor.
        foreach (var junctor in new[] { "allOf", "anyOf", "oneOf" })
            if (schema[junctor] is JsonArray subs)
                for (var i = 0; i < subs.Count; i++)
                    if (subs[i] is JsonObject sub)
                        foreach (var forbidden in new[] { "default", "nullable", "additionalProperties", "x-kubernetes-preserve-unknown-fields" })
                            if (sub[forbidden] is not null)
                                causes.Add(new("FieldValueForbidden", "Forbidden: must be undefined to be structural", $"{path}.{junctor}[{i}].{forbidden}"));
    }

    /// <summary>Numbers from parsed JSON and from in-memory nodes (int, long, double) alike.</summary>
    private static double Num(JsonNode n) => double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
    private static bool IsTrue(JsonObject schema, string key) => schema[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string JsonTypeOf(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => IsInteger(node) ? "integer" : "number",
        _ => "null",
    };

    private static bool IsInteger(JsonNode node)
    {
        var text = node.ToJsonString();
        return !text.Contains('.') && !text.Contains('e') && !text.Contains('E');
    }

    private static bool TypeMatches(string expected, string actual) =>
        expected == actual || (expected == "number" && actual == "integer");

    private static string Render(JsonNode? n) => n is null ? "null" : n.GetValueKind() == JsonValueKind.String ? $"\"{n.GetValue<string>()}\"" : n.ToJsonString();

    private static bool SafeMatch(string value, string pattern)
    {
        try { return Regex.IsMatch(value, pattern, RegexOptions.ECMAScript, TimeSpan.FromMilliseconds(200)); }
        catch (ArgumentException) { return Regex.IsMatch(value, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(200)); }
        catch (RegexMatchTimeoutException) { return false; }
    }

    private static bool FormatMatches(string format, string value) => format switch
    {
        "date-time" => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) && value.Contains('T'),
        "date" => DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "int32" or "int64" or "byte" or "password" or "" => true,
        _ => true,
    };
}
