using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;

namespace DematOperator.KubeSim.Store;

/// <summary>One metadata.managedFields entry: who set which fields, by apply or by update, through which subresource.</summary>
public sealed record ManagedFieldsEntry(string Manager, string Operation, string? Subresource, string ApiVersion, string Time, HashSet<string> Fields)
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    public bool SameManager(string manager, string operation, string? subresource) =>
        Manager == manager && Operation == operation && Subresource == subresource;

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["manager"] = Manager, ["operation"] = Operation, ["apiVersion"] = ApiVersion, ["time"] = Time, ["fieldsType"] = "FieldsV1", ["fieldsV1"] = FieldSets.ToFieldsV1(Fields) };
        if (Subresource is not null) o["subresource"] = Subresource;
        return o;
    }

    public static List<ManagedFieldsEntry> Read(JsonObject obj) =>
        (ObjectMetaAccess.Metadata(obj)["managedFields"] as JsonArray)?.OfType<JsonObject>().Select(e => new ManagedFieldsEntry(
            (string?)e["manager"] ?? "", (string?)e["operation"] ?? Update, (string?)e["subresource"], (string?)e["apiVersion"] ?? "", (string?)e["time"] ?? "",
            FieldSets.FromFieldsV1(e["fieldsV1"] as JsonObject))).ToList() ?? [];

    public static void Write(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var kept = entries.Where(e => e.Fields.Count > 0).ToList();
        var meta = ObjectMetaAccess.Metadata(obj);
        if (kept.Count == 0) meta.Remove("managedFields");
        else meta["managedFields"] = new JsonArray([.. kept.Select(e => (JsonNode)e.ToJson())]);
    }
}

/// <summary>A field another manager holds with another value: what a server-side apply without force refuses.</summary>
public sealed record FieldConflict(string Manager, string ApiVersion, string Path);

/// <summary>
/// managedFields as kube-apiserver's field manager keeps them (structured-merge-diff): an update gives its manager
/// the fields it changed and takes them from everyone else; an apply owns exactly the fields of its configuration,
/// conflicts with other managers' fields it would change, and removes the fields it stopped applying that no one
/// else owns.
/// </summary>
public static class ManagedFields
{
    /// <summary>The entries after a non-apply write (create, update, patch) by <paramref name="manager"/>.</summary>
    public static List<ManagedFieldsEntry> AfterUpdate(JsonObject? old, JsonObject next, FieldTypes types, string manager, string? subresource, string apiVersion, string now)
    {
        var entries = old is null ? [] : ManagedFieldsEntry.Read(old);
        var before = old is null ? new Dictionary<string, JsonNode?>() : FieldSets.Of(old, types);
        var after = FieldSets.Of(next, types);
        var changed = after.Where(p => !before.TryGetValue(p.Key, out var v) || !JsonNode.DeepEquals(v, p.Value)).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).ToHashSet(StringComparer.Ordinal);
        if (changed.Count == 0 && removed.Count == 0) return entries;
        foreach (var e in entries) { e.Fields.ExceptWith(changed); e.Fields.ExceptWith(removed); }
        var own = entries.FindIndex(e => e.SameManager(manager, ManagedFieldsEntry.Update, subresource));
        var fields = own >= 0 ? entries[own].Fields : new HashSet<string>(StringComparer.Ordinal);
        fields.UnionWith(changed);
        var entry = new ManagedFieldsEntry(manager, ManagedFieldsEntry.Update, subresource, apiVersion, now, fields);
        if (own >= 0) entries[own] = entry; else entries.Add(entry);
        return entries;
    }

    public sealed record ApplyResult(JsonObject Object, List<ManagedFieldsEntry> Entries, IReadOnlyList<FieldConflict> Conflicts);

    /// <summary>Applies <paramref name="config"/> for <paramref name="manager"/> to <paramref name="live"/> (empty when the object does not exist).</summary>
    public static ApplyResult Apply(JsonObject live, JsonObject config, FieldTypes types, string manager, string? subresource, bool force, string apiVersion, string now,
        bool statusIsSubresource)
    {
        var entries = ManagedFieldsEntry.Read(live);
        var onlyStatus = subresource == "status";
        var applied = FieldSets.Of(config, types, includeStatus: !statusIsSubresource || onlyStatus, onlyStatus: onlyStatus);
        var current = FieldSets.Of(live, types);
        var conflicts = new List<FieldConflict>();
        foreach (var other in entries.Where(e => !e.SameManager(manager, ManagedFieldsEntry.Apply, subresource)))
            foreach (var (path, value) in applied)
                if (!path.EndsWith(".", StringComparison.Ordinal) && other.Fields.Contains(path)
                    && !(current.TryGetValue(path, out var live_) && JsonNode.DeepEquals(live_, value)))
                    conflicts.Add(new FieldConflict(other.Manager, other.ApiVersion, path));
        if (conflicts.Count > 0 && !force) return new ApplyResult(live, entries, conflicts);
        foreach (var c in conflicts)
            foreach (var e in entries.Where(e => e.Manager == c.Manager && e.ApiVersion == c.ApiVersion)) e.Fields.Remove(c.Path);

        var own = entries.FindIndex(e => e.SameManager(manager, ManagedFieldsEntry.Apply, subresource));
        var previous = own >= 0 ? entries[own].Fields : [];
        var configToMerge = (JsonObject)config.DeepClone();
        if (statusIsSubresource && !onlyStatus) configToMerge.Remove("status");
        if (onlyStatus) foreach (var key in configToMerge.Select(p => p.Key).Where(k => k is not ("status" or "apiVersion" or "kind" or "metadata")).ToList()) configToMerge.Remove(key);
        var merged = FieldSets.Merge(live, configToMerge, types);
        var others = entries.Where((_, i) => i != own).SelectMany(e => e.Fields).ToHashSet(StringComparer.Ordinal);
        // Longest paths first, so that a list item goes after the fields inside it.
        foreach (var path in previous.Where(p => !applied.ContainsKey(p)).OrderByDescending(p => p.Length))
        {
            var item = path.EndsWith(".", StringComparison.Ordinal) ? path[..^2] : null;
            if (others.Contains(path) || (item is not null && others.Any(o => o.StartsWith(item, StringComparison.Ordinal)))) continue;
            FieldSets.Remove(merged, path, types);
        }
        // An apply that changes neither the object nor its fields keeps the entry's time (managedFieldsUpdater).
        var unchanged = own >= 0 && previous.SetEquals(applied.Keys) && JsonNode.DeepEquals(merged, live);
        var entry = new ManagedFieldsEntry(manager, ManagedFieldsEntry.Apply, subresource, apiVersion, unchanged ? entries[own].Time : now, [.. applied.Keys]);
        if (own >= 0) entries[own] = entry; else entries.Add(entry);
        return new ApplyResult(merged, entries, []);
    }

    /// <summary>kube-apiserver's answer to conflicts: 409 with one cause per field.</summary>
    public static ApiStatus ConflictStatus(ResourceDefinition def, string name, IReadOnlyList<FieldConflict> conflicts)
    {
        var byManager = conflicts.GroupBy(c => (c.Manager, c.ApiVersion)).ToList();
        var count = conflicts.Count;
        var message = count == 1 && byManager.Count == 1
            ? $"Apply failed with 1 conflict: conflict with \"{conflicts[0].Manager}\" using {conflicts[0].ApiVersion}: {FieldSets.Describe(conflicts[0].Path)}"
            : $"Apply failed with {count} conflicts: " + string.Join("\n", byManager.Select(g =>
                $"conflicts with \"{g.Key.Manager}\" using {g.Key.ApiVersion}:\n" + string.Join("\n", g.Select(c => "- " + FieldSets.Describe(c.Path)))));
        return new ApiStatus(409, ApiStatus.ReasonConflict, message, name, def.Group, def.Plural,
            [.. conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with \"{c.Manager}\" using {c.ApiVersion}", FieldSets.Describe(c.Path)))]);
    }
}
