namespace DematOperator.Kube.Crd;

[AttributeUsage(AttributeTargets.Class)]
public sealed class KubernetesKindAttribute(string group, string version, string kind, string plural) : Attribute
{
    public string Group { get; } = group;
    public string Version { get; } = version;
    public string Kind { get; } = kind;
    public string Plural { get; } = plural;
    public bool Namespaced { get; init; } = true;
    public string[] ShortNames { get; init; } = [];
    public string[] Categories { get; init; } = [];
    public string Description { get; init; } = "";
}

/// <summary>A `kubectl get` column (additionalPrinterColumns).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class PrinterColumnAttribute(string name, string type, string jsonPath) : Attribute
{
    public string Name { get; } = name;
    public string Type { get; } = type;
    public string JsonPath { get; } = jsonPath;
    public int Priority { get; init; }
    public string Description { get; init; } = "";
    public int Order { get; init; }
}

[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class)]
public sealed class DocAttribute(string text) : Attribute { public string Text { get; } = text; }

[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredFieldAttribute : Attribute;

[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string regex) : Attribute { public string Regex { get; } = regex; }

[AttributeUsage(AttributeTargets.Property)]
public sealed class EnumValuesAttribute(params string[] values) : Attribute { public string[] Values { get; } = values; }

[AttributeUsage(AttributeTargets.Property)]
public sealed class RangeAttribute(double minimum, double maximum = double.NaN) : Attribute
{
    public double Minimum { get; } = minimum;
    public double Maximum { get; } = maximum;
}

[AttributeUsage(AttributeTargets.Property)]
public sealed class LengthAttribute(int min, int max = -1) : Attribute
{
    public int Min { get; } = min;
    public int Max { get; } = max;
}

[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemsAttribute(int min, int max = -1) : Attribute
{
    public int Min { get; } = min;
    public int Max { get; } = max;
}

/// <summary>A schema default, as a JSON literal (`"4h"`, `30`, `true`, `"Retain"`).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DefaultAttribute(string json) : Attribute { public string Json { get; } = json; }

[AttributeUsage(AttributeTargets.Property)]
public sealed class FormatAttribute(string format) : Attribute { public string Format { get; } = format; }

/// <summary>Keep unknown fields under this property (e.g. an embedded third-party spec).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PreserveUnknownFieldsAttribute : Attribute;
