namespace DematOperator.KubeSim;

/// <summary>One command run in a pod, as the API server received it.</summary>
public sealed record ExecCall(string Namespace, string Pod, string Container, IReadOnlyList<string> Command);

/// <summary>What the command gives back; <paramref name="RuntimeError"/> when it could not even start (the API answers InternalError).</summary>
public sealed record ExecAnswer(int ExitCode, string Stdout = "", string Stderr = "", string? RuntimeError = null)
{
    public static ExecAnswer Ok(string stdout) => new(0, stdout);
}

/// <summary>
/// Plays the containers' processes for pods/exec. Tests register answers per pod (the latest registration that
/// matches wins); without one, `echo` prints its arguments, `true` and `false` exit 0 and 1, `sh -c 'exit N'`
/// exits N, and anything else fails to start, with the runtime's "executable file not found" message.
/// </summary>
public sealed class PodExecSimulator
{
    private readonly List<(Func<ExecCall, bool> When, Func<ExecCall, ExecAnswer> Answer)> _answers = [];
    private readonly List<ExecCall> _calls = [];
    private readonly Lock _gate = new();

    public void Answer(Func<ExecCall, bool> when, Func<ExecCall, ExecAnswer> answer)
    {
        lock (_gate) _answers.Add((when, answer));
    }

    /// <summary>Pods of <paramref name="ns"/> whose name starts with <paramref name="podPrefix"/> answer this.</summary>
    public void Answer(string ns, string podPrefix, ExecAnswer answer) =>
        Answer(c => c.Namespace == ns && c.Pod.StartsWith(podPrefix, StringComparison.Ordinal), _ => answer);

    public IReadOnlyList<ExecCall> Calls { get { lock (_gate) return [.. _calls]; } }

    public ExecAnswer Run(ExecCall call)
    {
        Func<ExecCall, ExecAnswer>? answer;
        lock (_gate)
        {
            _calls.Add(call);
            answer = _answers.LastOrDefault(a => a.When(call)).Answer;
        }
        if (answer is not null) return answer(call);
        var cmd = call.Command;
        return cmd[0] switch
        {
            "echo" => ExecAnswer.Ok(string.Join(' ', cmd.Skip(1)) + "\n"),
            "true" => new ExecAnswer(0),
            "false" => new ExecAnswer(1),
            "sh" when cmd.Count == 3 && cmd[1] == "-c" && cmd[2].StartsWith("exit ", StringComparison.Ordinal) && int.TryParse(cmd[2][5..], out var code) => new ExecAnswer(code),
            _ => new ExecAnswer(-1, RuntimeError: $"error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: \"{cmd[0]}\": executable file not found in $PATH: unknown"),
        };
    }
}
