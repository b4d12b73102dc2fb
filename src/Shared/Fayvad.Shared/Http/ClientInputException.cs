using Microsoft.AspNetCore.Http;

namespace Fayvad.Shared.Http;

/// <summary>A request body an endpoint reads itself was refused; the message is in a user's words and reaches the client as it is.</summary>
public sealed class ClientInputException(string message) : BadHttpRequestException(message, StatusCodes.Status400BadRequest);
