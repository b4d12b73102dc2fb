// Deliberately bad code for the slice rule: two slices, one using the other. Nothing here is registered or called.

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
}
