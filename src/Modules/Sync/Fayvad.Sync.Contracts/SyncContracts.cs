namespace Fayvad.Sync.Contracts;

/// <summary>
/// Marker for the Sync module's published surface. Nothing asks Sync for anything yet: it listens to the Mail module's
/// changes (Fayvad.Mail.Contracts.IMailboxChanges) and serves streams, check-new and webhooks itself.
/// </summary>
public static class SyncModuleInfo
{
    public const string Name = "Sync";
}
