using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Http;

/// <summary>
/// Decodes the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the few built-in kinds that
/// kubectl's typed clients send as protobuf (`create namespace|configmap|secret|serviceaccount`, `auth can-i`,
/// `scale`). Answers are always JSON, which those clients accept. Other kinds get 415.
/// </summary>
internal static class Protobuf
{
    private abstract record Field(string Name);
    private sealed record Str(string Name) : Field(Name);
    private sealed record Int(string Name) : Field(Name);
    private sealed record Bool(string Name) : Field(Name);
    private sealed record Bytes(string Name) : Field(Name);
    private sealed record Time(string Name) : Field(Name);
    private sealed record Msg(string Name, Dictionary<int, Field> Fields) : Field(Name);
    private sealed record RepeatedStr(string Name) : Field(Name);
    private sealed record RepeatedMsg(string Name, Dictionary<int, Field> Fields) : Field(Name);
    private sealed record StrMap(string Name, bool BytesValues = false) : Field(Name);

    private static readonly Dictionary<int, Field> OwnerReference = new()
    {
        [1] = new Str("kind"), [3] = new Str("name"), [4] = new Str("uid"), [5] = new Str("apiVersion"),
        [6] = new Bool("controller"), [7] = new Bool("blockOwnerDeletion"),
    };

    private static readonly Dictionary<int, Field> ObjectMeta = new()
    {
        [1] = new Str("name"), [2] = new Str("generateName"), [3] = new Str("namespace"), [5] = new Str("uid"),
        [6] = new Str("resourceVersion"), [7] = new Int("generation"), [8] = new Time("creationTimestamp"),
        [9] = new Time("deletionTimestamp"), [10] = new Int("deletionGracePeriodSeconds"), [11] = new StrMap("labels"),
        [12] = new StrMap("annotations"), [13] = new RepeatedMsg("ownerReferences", OwnerReference), [14] = new RepeatedStr("finalizers"),
    };

    private static readonly Dictionary<string, Dictionary<int, Field>> Kinds = new()
    {
        ["Namespace"] = new() { [1] = new Msg("metadata", ObjectMeta), [2] = new Msg("spec", new() { [1] = new RepeatedStr("finalizers") }), [3] = new Msg("status", new() { [1] = new Str("phase") }) },
        ["ConfigMap"] = new() { [1] = new Msg("metadata", ObjectMeta), [2] = new StrMap("data"), [3] = new StrMap("binaryData", BytesValues: true), [4] = new Bool("immutable") },
        ["Secret"] = new() { [1] = new Msg("metadata", ObjectMeta), [2] = new StrMap("data", BytesValues: true), [3] = new Str("type"), [4] = new StrMap("stringData"), [5] = new Bool("immutable") },
        ["ServiceAccount"] = new() { [1] = new Msg("metadata", ObjectMeta), [4] = new Bool("automountServiceAccountToken") },
        ["SelfSubjectAccessReview"] = new()
        {
            [1] = new Msg("metadata", ObjectMeta),
            [2] = new Msg("spec", new()
            {
                [1] = new Msg("resourceAttributes", new() { [1] = new Str("namespace"), [2] = new Str("verb"), [3] = new Str("group"), [4] = new Str("version"), [5] = new Str("resource"), [6] = new Str("subresource"), [7] = new Str("name") }),
                [2] = new Msg("nonResourceAttributes", new() { [1] = new Str("path"), [2] = new Str("verb") }),
            }),
        },
        ["SelfSubjectRulesReview"] = new() { [1] = new Msg("metadata", ObjectMeta), [2] = new Msg("spec", new() { [1] = new Str("namespace") }) },
        // k8s.io/api certificates/v1 generated.proto: what `kubectl certificate approve|deny` PUTs to /approval.
        ["CertificateSigningRequest"] = new()
        {
            [1] = new Msg("metadata", ObjectMeta),
            [2] = new Msg("spec", new()
            {
                [1] = new Bytes("request"), [2] = new Str("username"), [3] = new Str("uid"), [4] = new RepeatedStr("groups"),
                [5] = new RepeatedStr("usages"), [7] = new Str("signerName"), [8] = new Int("expirationSeconds"),
            }),
            [3] = new Msg("status", new()
            {
                [1] = new RepeatedMsg("conditions", new()
                {
                    [1] = new Str("type"), [2] = new Str("reason"), [3] = new Str("message"), [4] = new Time("lastUpdateTime"),
                    [5] = new Time("lastTransitionTime"), [6] = new Str("status"),
                }),
                [2] = new Bytes("certificate"),
            }),
        },
        ["Scale"] = new() { [1] = new Msg("metadata", ObjectMeta), [2] = new Msg("spec", new() { [1] = new Int("replicas") }), [3] = new Msg("status", new() { [1] = new Int("replicas"), [2] = new Str("selector") }) },
    };

    public static JsonObject Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || !data[..4].SequenceEqual("k8s\0"u8))
            throw new KubeApiException(ApiStatus.BadRequest("protobuf body without the k8s envelope"));
        var reader = new Reader(data[4..].ToArray());
        string apiVersion = "", kind = "";
        byte[]? raw = null;
        while (reader.More)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 2)
            {
                var tm = new Reader(reader.LengthDelimited());
                while (tm.More)
                {
                    var (f, w) = tm.Tag();
                    if (f == 1) apiVersion = Encoding.UTF8.GetString(tm.LengthDelimited());
                    else if (f == 2) kind = Encoding.UTF8.GetString(tm.LengthDelimited());
                    else tm.Skip(w);
                }
            }
            else if (field == 2 && wire == 2) raw = reader.LengthDelimited();
            else reader.Skip(wire);
        }
        if (!Kinds.TryGetValue(kind, out var fields))
            throw new KubeApiException(ApiStatus.UnsupportedMediaType($"application/vnd.kubernetes.protobuf (kind {kind} is only accepted as JSON by the emulator)"));
        var obj = DecodeMessage(raw ?? [], fields);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static JsonObject DecodeMessage(byte[] bytes, Dictionary<int, Field> fields)
    {
        var o = new JsonObject();
        var r = new Reader(bytes);
        while (r.More)
        {
            var (number, wire) = r.Tag();
            if (!fields.TryGetValue(number, out var field)) { r.Skip(wire); continue; }
            switch (field)
            {
                case Str s: o[s.Name] = Encoding.UTF8.GetString(r.LengthDelimited()); break;
                case Int i: o[i.Name] = (long)r.Varint(); break;
                case Bool b: o[b.Name] = r.Varint() != 0; break;
                case Bytes by: o[by.Name] = Convert.ToBase64String(r.LengthDelimited()); break;
                case Time t:
                    var tr = new Reader(r.LengthDelimited());
                    long seconds = 0;
                    while (tr.More) { var (f, w) = tr.Tag(); if (f == 1) seconds = (long)tr.Varint(); else tr.Skip(w); }
                    o[t.Name] = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
                    break;
                case Msg m: o[m.Name] = DecodeMessage(r.LengthDelimited(), m.Fields); break;
                case RepeatedStr rs:
                    if (o[rs.Name] is not JsonArray list) o[rs.Name] = list = [];
                    list.Add(Encoding.UTF8.GetString(r.LengthDelimited()));
                    break;
                case RepeatedMsg rm:
                    if (o[rm.Name] is not JsonArray items) o[rm.Name] = items = [];
                    items.Add(DecodeMessage(r.LengthDelimited(), rm.Fields));
                    break;
                case StrMap sm:
                    if (o[sm.Name] is not JsonObject map) o[sm.Name] = map = [];
                    var er = new Reader(r.LengthDelimited());
                    string key = "";
                    JsonNode? value = sm.BytesValues ? "" : "";
                    while (er.More)
                    {
                        var (f, w) = er.Tag();
                        if (f == 1) key = Encoding.UTF8.GetString(er.LengthDelimited());
                        else if (f == 2) { var v = er.LengthDelimited(); value = sm.BytesValues ? Convert.ToBase64String(v) : Encoding.UTF8.GetString(v); }
                        else er.Skip(w);
                    }
                    map[key] = value;
                    break;
            }
        }
        return o;
    }

    private sealed class Reader(byte[] data)
    {
        private int _pos;
        public bool More => _pos < data.Length;

        public (int Field, int Wire) Tag()
        {
            var t = Varint();
            return ((int)(t >> 3), (int)(t & 7));
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= data.Length) throw new KubeApiException(ApiStatus.BadRequest("truncated protobuf"));
                var b = data[_pos++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new KubeApiException(ApiStatus.BadRequest("malformed protobuf varint"));
        }

        public byte[] LengthDelimited()
        {
            var len = (int)Varint();
            if (len < 0 || _pos + len > data.Length) throw new KubeApiException(ApiStatus.BadRequest("truncated protobuf"));
            var slice = data[_pos..(_pos + len)];
            _pos += len;
            return slice;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: LengthDelimited(); break;
                case 5: _pos += 4; break;
                default: throw new KubeApiException(ApiStatus.BadRequest($"unsupported protobuf wire type {wire}"));
            }
        }
    }
}
