using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Http;

/// <summary>
/// Decodes the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the built-in kinds that kubectl's
/// typed clients send as protobuf (`create namespace|configmap|secret|serviceaccount|deployment`, `auth can-i`,
/// `scale`, `certificate approve`). Answers are always JSON, which those clients accept. Other kinds get 415.
/// Field numbers are k8s.io/api's generated.proto. Go's generated marshallers write every non-pointer field, zero
/// values included; for Deployments those are dropped (what JSON's omitempty would have sent), except where
/// the Go field is a pointer (<see cref="KeepZero"/>), whose zero is meant. A Deployment field the emulator does not
/// know, set to something, is refused rather than dropped.
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
    /// <summary>
    /// A field whose zero value is kept: a pointer int or bool (spec.replicas: 0 is meant), or a struct that JSON
    /// always carries, even empty (a container's resources, a Deployment's strategy and status).
    /// </summary>
    private sealed record KeepZero(Field Inner) : Field(Inner.Name);
    /// <summary>intstr.IntOrString: type 1 int, 2 intVal, 3 strVal.</summary>
    private sealed record IntOrStr(string Name) : Field(Name);
    /// <summary>map&lt;string, resource.Quantity&gt;; a Quantity is message { string string = 1 }.</summary>
    private sealed record QuantityMap(string Name) : Field(Name);


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

    // Static fields initialise in the order written: the messages a kind uses come before the kind.
    private static readonly Dictionary<int, Field> LabelSelector = new()
    {
        [1] = new StrMap("matchLabels"),
        [2] = new RepeatedMsg("matchExpressions", new() { [1] = new Str("key"), [2] = new Str("operator"), [3] = new RepeatedStr("values") }),
    };

    private static readonly Dictionary<int, Field> Container = new()
    {
        [1] = new Str("name"), [2] = new Str("image"), [3] = new RepeatedStr("command"), [4] = new RepeatedStr("args"), [5] = new Str("workingDir"),
        [6] = new RepeatedMsg("ports", new() { [1] = new Str("name"), [2] = new Int("hostPort"), [3] = new Int("containerPort"), [4] = new Str("protocol"), [5] = new Str("hostIP") }),
        [7] = new RepeatedMsg("env", new() { [1] = new Str("name"), [2] = new Str("value") }),
        [8] = new KeepZero(new Msg("resources", new() { [1] = new QuantityMap("limits"), [2] = new QuantityMap("requests") })),
        [9] = new RepeatedMsg("volumeMounts", new() { [1] = new Str("name"), [2] = new Bool("readOnly"), [3] = new Str("mountPath"), [4] = new Str("subPath") }),
        [13] = new Str("terminationMessagePath"), [14] = new Str("imagePullPolicy"), [16] = new Bool("stdin"), [17] = new Bool("stdinOnce"),
        [18] = new Bool("tty"), [20] = new Str("terminationMessagePolicy"),
    };

    private static readonly Dictionary<int, Field> PodSpec = new()
    {
        [2] = new RepeatedMsg("containers", Container), [3] = new Str("restartPolicy"), [4] = new KeepZero(new Int("terminationGracePeriodSeconds")),
        [6] = new Str("dnsPolicy"), [7] = new StrMap("nodeSelector"), [8] = new Str("serviceAccountName"), [9] = new Str("serviceAccount"),
        [10] = new Str("nodeName"), [11] = new Bool("hostNetwork"), [12] = new Bool("hostPID"), [13] = new Bool("hostIPC"), [16] = new Str("hostname"),
        [17] = new Str("subdomain"), [19] = new Str("schedulerName"), [20] = new RepeatedMsg("initContainers", Container), [24] = new Str("priorityClassName"),
    };

    private static readonly Dictionary<int, Field> Deployment = new()
    {
        [1] = new Msg("metadata", ObjectMeta),
        [2] = new Msg("spec", new()
        {
            [1] = new KeepZero(new Int("replicas")), [2] = new Msg("selector", LabelSelector),
            [3] = new Msg("template", new() { [1] = new Msg("metadata", ObjectMeta), [2] = new Msg("spec", PodSpec) }),
            [4] = new KeepZero(new Msg("strategy", new() { [1] = new Str("type"), [2] = new Msg("rollingUpdate", new() { [1] = new IntOrStr("maxUnavailable"), [2] = new IntOrStr("maxSurge") }) })),
            [5] = new Int("minReadySeconds"), [6] = new KeepZero(new Int("revisionHistoryLimit")), [7] = new Bool("paused"), [9] = new KeepZero(new Int("progressDeadlineSeconds")),
        }),
        [3] = new KeepZero(new Msg("status", new()
        {
            [1] = new Int("observedGeneration"), [2] = new Int("replicas"), [3] = new Int("updatedReplicas"), [7] = new Int("readyReplicas"),
            [4] = new Int("availableReplicas"), [5] = new Int("unavailableReplicas"), [8] = new Int("collisionCount"),
        })),
    };

    /// <summary>Kinds whose zero values are dropped and whose unknown non-zero fields are refused.</summary>
    private static readonly HashSet<string> Strict = ["Deployment"];

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
        ["Deployment"] = Deployment,
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
        var obj = DecodeMessage(raw ?? [], fields, Strict.Contains(kind) ? kind : null);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    /// <param name="strictKind">Set for kinds decoded strictly: zero values dropped, unknown non-zero fields refused.</param>
    private static JsonObject DecodeMessage(byte[] bytes, Dictionary<int, Field> fields, string? strictKind = null)
    {
        var o = new JsonObject();
        var r = new Reader(bytes);
        var strict = strictKind is not null;
        while (r.More)
        {
            var (number, wire) = r.Tag();
            if (!fields.TryGetValue(number, out var field))
            {
                if (strict && !r.SkipZero(wire))
                    throw new KubeApiException(ApiStatus.UnsupportedMediaType($"application/vnd.kubernetes.protobuf ({strictKind} field {number} is not understood by the emulator: send it as JSON)"));
                if (!strict) r.Skip(wire);
                continue;
            }
            var keepZero = field is KeepZero;
            if (field is KeepZero kept) field = kept.Inner;
            switch (field)
            {
                case Str s:
                    var text = Encoding.UTF8.GetString(r.LengthDelimited());
                    if (!strict || text.Length > 0) o[s.Name] = text;
                    break;
                case Int i:
                    var number64 = (long)r.Varint();
                    if (!strict || keepZero || number64 != 0) o[i.Name] = number64;
                    break;
                case Bool b:
                    var flag = r.Varint() != 0;
                    if (!strict || keepZero || flag) o[b.Name] = flag;
                    break;
                case IntOrStr ios:
                    var ir = new Reader(r.LengthDelimited());
                    long type = 0, intVal = 0;
                    var strVal = "";
                    while (ir.More)
                    {
                        var (f, w) = ir.Tag();
                        if (f == 1) type = (long)ir.Varint(); else if (f == 2) intVal = (long)ir.Varint(); else if (f == 3) strVal = Encoding.UTF8.GetString(ir.LengthDelimited()); else ir.Skip(w);
                    }
                    o[ios.Name] = type == 1 ? JsonValue.Create(strVal) : JsonValue.Create(intVal);
                    break;
                case QuantityMap qm:
                    if (o[qm.Name] is not JsonObject quantities) o[qm.Name] = quantities = [];
                    var qr = new Reader(r.LengthDelimited());
                    string qKey = "", qValue = "";
                    while (qr.More)
                    {
                        var (f, w) = qr.Tag();
                        if (f == 1) qKey = Encoding.UTF8.GetString(qr.LengthDelimited());
                        else if (f == 2)
                        {
                            var vr = new Reader(qr.LengthDelimited());
                            while (vr.More) { var (vf, vw) = vr.Tag(); if (vf == 1) qValue = Encoding.UTF8.GetString(vr.LengthDelimited()); else vr.Skip(vw); }
                        }
                        else qr.Skip(w);
                    }
                    quantities[qKey] = qValue;
                    break;
                case Bytes by: o[by.Name] = Convert.ToBase64String(r.LengthDelimited()); break;
                case Time t:
                    var tr = new Reader(r.LengthDelimited());
                    long seconds = 0;
                    var set = false;
                    while (tr.More) { var (f, w) = tr.Tag(); if (f == 1) { seconds = (long)tr.Varint(); set = true; } else tr.Skip(w); }
                    if (strict && (!set || seconds == 0)) break;
                    o[t.Name] = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
                    break;
                case Msg m:
                    var message = DecodeMessage(r.LengthDelimited(), m.Fields, strictKind);
                    if (!strict || keepZero || message.Count > 0) o[m.Name] = message;
                    break;
                case RepeatedStr rs:
                    if (o[rs.Name] is not JsonArray list) o[rs.Name] = list = [];
                    list.Add(Encoding.UTF8.GetString(r.LengthDelimited()));
                    break;
                case RepeatedMsg rm:
                    if (o[rm.Name] is not JsonArray items) o[rm.Name] = items = [];
                    items.Add(DecodeMessage(r.LengthDelimited(), rm.Fields, strictKind));
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

        /// <summary>Skips a field and tells whether it held its zero value (0, an empty string or message).</summary>
        public bool SkipZero(int wire)
        {
            switch (wire)
            {
                case 0: return Varint() == 0;
                case 2: return LengthDelimited().Length == 0;
                default: Skip(wire); return false;
            }
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
