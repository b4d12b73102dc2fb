namespace Fayvad.Shared.Results;

/// <summary>
/// A server the API depends on (database, mail server) cannot serve the request. The Host answers 503 with the
/// message; nothing is claimed done.
/// </summary>
public class DependencyUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
