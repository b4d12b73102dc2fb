using Fayvad.Shared.Results;

namespace Fayvad.Mail.Imap;

/// <summary>The mail server could not be reached or refused the API; endpoints answer 503, never claim success.</summary>
internal sealed class MailUnavailableException(string message, Exception? inner = null) : DependencyUnavailableException(message, inner);
