using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace DematOperator.Hosting;

/// <summary>JSON-lines logs to a file, so the sandbox's operators do not drown its instructions on the terminal.</summary>
public sealed class FileLoggerProvider(string path, LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { lock (_gate) _writer.Dispose(); }

    private sealed class Logger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = JsonSerializer.Serialize(new Dictionary<string, string?>
            {
                ["time"] = DateTimeOffset.UtcNow.ToString("O"), ["level"] = logLevel.ToString(), ["category"] = category,
                ["message"] = formatter(state, exception), ["exception"] = exception?.ToString(),
            }, FileLogJson.Relaxed.DictionaryStringString);
            lock (owner._gate) owner._writer.WriteLine(line);
        }
    }

    private readonly LogLevel _minimumLevel = minimum;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string?>))]
internal sealed partial class FileLogJson : System.Text.Json.Serialization.JsonSerializerContext
{
    /// <summary>Offsets and quotes as a person reads them (`+01:00`, not `\u002B01:00`): a log line is for people and jq, never embedded in HTML.</summary>
    public static readonly FileLogJson Relaxed = new(new JsonSerializerOptions(Api.PeopleJson.Compact));
}
