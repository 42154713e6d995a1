using System.Globalization;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;

namespace DematOperator.KubeSim.Http;

/// <summary>
/// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which `kubectl get` uses:
/// a CRD's additionalPrinterColumns, or a few well-known columns for built-ins.
/// </summary>
/// <summary>metav1.TableOptions' includeObject: what each row's object holds (kubectl asks for Object with --sort-by).</summary>
public enum IncludeObject { Metadata, Object, None }

public static class TableRenderer
{
    public static IncludeObject ParseIncludeObject(string? value) => value switch
    {
        null or "" or "Metadata" => IncludeObject.Metadata,
        "Object" => IncludeObject.Object,
        "None" => IncludeObject.None,
        _ => throw new KubeApiException(ApiStatus.BadRequest($"Unsupported value: \"{value}\": supported values: \"Metadata\", \"None\", \"Object\"")),
    };

    private sealed record Column(string Name, string Type, string JsonPath, int Priority, string Description, string? Format = null);

    public static JsonObject Render(ResourceDefinition def, IEnumerable<JsonObject> objects, string? resourceVersion, string? continueToken, DateTimeOffset now,
        bool includeColumns = true, IncludeObject include = IncludeObject.Metadata)
    {
        var columns = ColumnsFor(def);
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion ?? "", ["continue"] = continueToken },
        };
        if (includeColumns)
            table["columnDefinitions"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format ?? (c.Name == "Name" ? "name" : ""),
                ["description"] = c.Description, ["priority"] = c.Priority,
            })]);
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray();
            foreach (var c in columns) cells.Add(Cell(obj, c, now));
            var row = new JsonObject { ["cells"] = cells };
            row["object"] = include switch
            {
                IncludeObject.Object => obj.DeepClone(),
                IncludeObject.Metadata => new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = ObjectMetaAccess.Metadata(obj).DeepClone(),
                },
                _ => null,
            };
            if (include == IncludeObject.None) row.Remove("object");
            rows.Add(row);
        }
        table["rows"] = rows;
        return table;
    }

    private static List<Column> ColumnsFor(ResourceDefinition def)
    {
        var cols = new List<Column> { new("Name", "string", ".metadata.name", 0, "Name must be unique within a namespace.", "name") };
        if (def.IsCustom)
        {
            var printer = def.PrinterColumns?.OfType<JsonObject>().ToList() ?? [];
            foreach (var p in printer)
                cols.Add(new((string?)p["name"] ?? "", (string?)p["type"] ?? "string", (string?)p["jsonPath"] ?? "",
                    (int?)p["priority"] ?? 0, (string?)p["description"] ?? "", (string?)p["format"]));
            if (printer.Count == 0) cols.Add(Age);
            return cols;
        }
        cols.AddRange(def.StorageKey switch
        {
            BuiltinKeys.Namespaces => [new("Status", "string", ".status.phase", 0, "The status of the namespace"), Age],
            BuiltinKeys.ConfigMaps => [new("Data", "integer", "#count:.data", 0, "Number of keys"), Age],
            BuiltinKeys.Secrets => [new("Type", "string", ".type", 0, "The type of secret"), new("Data", "integer", "#count:.data", 0, "Number of keys"), Age],
            BuiltinKeys.PersistentVolumeClaims => [new("Status", "string", ".status.phase", 0, "Phase"), new("Volume", "string", ".spec.volumeName", 0, "Bound volume"), Age],
            BuiltinKeys.Pods => [new("Status", "string", ".status.phase", 0, "Phase"), Age],
            "/services" => [new("Type", "string", ".spec.type", 0, "Type"), new("Cluster-IP", "string", ".spec.clusterIP", 0, "Cluster IP"), Age],
            BuiltinKeys.Deployments => [new("Ready", "string", "#ready", 0, "Ready replicas"), new("Up-to-date", "integer", ".status.updatedReplicas", 0, ""), new("Available", "integer", ".status.availableReplicas", 0, ""), Age],
            BuiltinKeys.StatefulSets => [new("Ready", "string", "#ready", 0, "Ready replicas"), Age],
            // kubectl get csr: NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION (pkg/printers/internalversion).
            "certificates.k8s.io/certificatesigningrequests" => [Age, new("SignerName", "string", ".spec.signerName", 0, "Signer"), new("Requestor", "string", ".spec.username", 0, "Requestor"),
                new("RequestedDuration", "string", "#duration:.spec.expirationSeconds", 0, "Requested duration"), new("Condition", "string", "#csrcondition", 0, "Condition")],
            "coordination.k8s.io/leases" => [new("Holder", "string", ".spec.holderIdentity", 0, "Holder"), Age],
            BuiltinKeys.Crds => [new("Created At", "date", ".metadata.creationTimestamp", 0, "")],
            BuiltinKeys.Events or BuiltinKeys.EventsV1 => [new("Type", "string", ".type", 0, ""), new("Reason", "string", ".reason", 0, ""), new("Message", "string", ".message", 0, ""), Age],
            _ => [Age],
        });
        return cols;
    }

    private static readonly Column Age = new("Age", "date", ".metadata.creationTimestamp", 0, "CreationTimestamp is a timestamp representing the server time when this object was created.");

    private static JsonNode? Cell(JsonObject obj, Column c, DateTimeOffset now)
    {
        if (c.JsonPath.StartsWith("#count:", StringComparison.Ordinal))
            return (JsonPaths.Get(obj, c.JsonPath[7..]) as JsonObject)?.Count ?? 0;
        if (c.JsonPath == "#ready")
        {
            var ready = (long?)JsonPaths.Get(obj, ".status.readyReplicas") ?? 0;
            var desired = (long?)JsonPaths.Get(obj, ".spec.replicas") ?? 0;
            return $"{ready}/{desired}";
        }
        if (c.JsonPath.StartsWith("#duration:", StringComparison.Ordinal))
            return JsonPaths.Get(obj, c.JsonPath[10..]) is JsonValue v && v.TryGetValue<long>(out var seconds) ? HumanDuration(TimeSpan.FromSeconds(seconds)) : "<none>";
        if (c.JsonPath == "#csrcondition")
        {
            // kubectl: the condition types joined, then ",Issued" once a certificate is there; "Pending" without either.
            var types = ((JsonPaths.Get(obj, ".status.conditions") as JsonArray) ?? []).OfType<JsonObject>().Select(x => (string?)x["type"] ?? "").ToList();
            if (!string.IsNullOrEmpty((string?)JsonPaths.Get(obj, ".status.certificate"))) types.Add("Issued");
            return types.Count == 0 ? "Pending" : string.Join(",", types);
        }
        var value = JsonPaths.Get(obj, c.JsonPath);
        if (value is null) return c.Type is "integer" or "number" or "boolean" ? null : "";
        if (c.Type == "date")
        {
            return DateTimeOffset.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? HumanDuration(now - t) : value.ToString();
        }
        return value is JsonValue ? value.DeepClone() : value.ToJsonString();
    }

    /// <summary>kubectl's short age format (`5s`, `3m2s`, `4h`, `12d`).</summary>
    public static string HumanDuration(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        var s = (long)d.TotalSeconds;
        if (s < 120) return $"{s}s";
        var m = s / 60;
        if (m < 10) return s % 60 == 0 ? $"{m}m" : $"{m}m{s % 60}s";
        if (m < 180) return $"{m}m";
        var h = m / 60;
        if (h < 8) return m % 60 == 0 ? $"{h}h" : $"{h}h{m % 60}m";
        if (h < 48) return $"{h}h";
        var days = h / 24;
        if (days < 8) return h % 24 == 0 ? $"{days}d" : $"{days}d{h % 24}h";
        if (days < 365 * 2) return $"{days}d";
        return $"{days / 365}y";
    }
}
