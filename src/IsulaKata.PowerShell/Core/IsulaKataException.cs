using System;

namespace IsulaKata.Core;

/// <summary>What kind of failure an engine exception reports; cmdlets map it to an ErrorCategory.</summary>
public enum FailureKind
{
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    ResourceUnavailable,
    ResourceExists,
    PermissionDenied,
    NotInstalled,
    InvalidOperation,
    OperationTimeout,
    DeviceError,
    NotImplemented,
    ReadError,
    WriteError,
}

/// <summary>
/// The one exception type the engine throws for a failure the user can act on. It carries a stable
/// error id (tests and scripts match on it), the offending input, and what to do about it.
/// </summary>
public class IsulaKataException : Exception
{
    public IsulaKataException(string errorId, FailureKind kind, string message, string recommendedAction,
        object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        RecommendedAction = recommendedAction;
        Target = target;
    }

    /// <summary>A stable PascalCase id, e.g. <c>InvalidRuntimeName</c>.</summary>
    public string ErrorId { get; }

    public FailureKind Kind { get; }

    /// <summary>What the user should do to fix it.</summary>
    public string RecommendedAction { get; }

    /// <summary>The input the error is about (a path, a name, an option).</summary>
    public object? Target { get; }
}
