// Deliberately bad code for the slice rules: two slices, one using the other, one on a raw IMAP connection, one reading the query by hand. Nothing here is registered or called.

namespace Fayvad.ArchitectureTests.BadExamples.Features.Send
{
    public static class SendRules
    {
        public static bool IsAddress(string value) => value.Contains('@', StringComparison.Ordinal);
    }
}

namespace Fayvad.ArchitectureTests.BadExamples.Features.Compose
{
    /// <summary>Breaks "a slice never uses another slice": Compose borrows Send's rule instead of a shared one.</summary>
    public static class ReusesAnotherSlice
    {
        public static bool Check(string value) => Send.SendRules.IsAddress(value);
    }

    /// <summary>Breaks "a slice never holds a mail server connection": it reads the folder list on a raw client.</summary>
    public static class OpensItsOwnConnection
    {
        public static int Folders(MailKit.Net.Imap.ImapClient client) => client.PersonalNamespaces.Count;
    }

    /// <summary>Breaks "a slice binds its query": it reads a parameter the OpenAPI document cannot see.</summary>
    public static class ReadsTheQueryByHand
    {
        public static string? Folder(Microsoft.AspNetCore.Http.HttpRequest request) => request.Query["folder"];
    }
}
