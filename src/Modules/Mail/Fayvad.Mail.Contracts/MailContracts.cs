namespace Fayvad.Mail.Contracts;

/// <summary>Marker for the Mail module's published surface; the module's features arrive with the mail issue.</summary>
public static class MailModuleInfo
{
    public const string Name = "Mail";
}
