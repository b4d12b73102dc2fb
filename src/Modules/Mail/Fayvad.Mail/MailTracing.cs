using System.Diagnostics;

namespace Fayvad.Mail;

/// <summary>
/// The Mail module's spans (System.Diagnostics; the Host decides where they go). They name the kind of work, never its
/// content: no address, subject or folder name. MailKit's own sources (MailKit.Net.ImapClient, MailKit.Net.SmtpClient)
/// add the protocol operations under them.
/// </summary>
internal static class MailTracing
{
    public const string SourceName = "Fayvad.Mail";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Marks the span failed with the exception's type (never its message, which may carry an address).</summary>
    public static void Failed(this Activity? activity, Exception exception) =>
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
}
