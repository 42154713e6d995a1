namespace DematOperator.Api;

/// <summary>
/// Something wrong with a resource's spec that can be told without a cluster: the field, a message a person
/// understands, the condition reason the operator would set, and whether it is only a warning.
/// </summary>
public sealed record SpecProblem(string Field, string Reason, string Message, bool Warning = false);
