namespace Bridge.Demo;

/// <summary>Log messages of the demo producer (EventIds 2050-2059).</summary>
internal static partial class DemoLog
{
    [LoggerMessage(EventId = 2050, EventName = "DemoStarted", Level = LogLevel.Information,
        Message = "Demo producer is publishing sample RackHD traffic every {Interval}")]
    public static partial void Started(ILogger logger, TimeSpan interval);

    [LoggerMessage(EventId = 2051, EventName = "DemoStepFailed", Level = LogLevel.Warning,
        Message = "Demo producer could not complete a step ({Reason}); it keeps trying at every step")]
    public static partial void StepFailed(ILogger logger, string reason, Exception? exception);

    [LoggerMessage(EventId = 2052, EventName = "DemoStepFailedAgain", Level = LogLevel.Debug,
        Message = "Demo producer step failed again ({Reason})")]
    public static partial void StepFailedAgain(ILogger logger, string reason);

    [LoggerMessage(EventId = 2053, EventName = "DemoRecovered", Level = LogLevel.Information,
        Message = "Demo producer is publishing again after {FailedSteps} failed steps")]
    public static partial void Recovered(ILogger logger, int failedSteps);

    [LoggerMessage(EventId = 2054, EventName = "DemoStopped", Level = LogLevel.Debug,
        Message = "Demo producer stopped")]
    public static partial void Stopped(ILogger logger);
}
