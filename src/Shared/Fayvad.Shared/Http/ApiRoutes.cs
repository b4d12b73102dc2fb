namespace Fayvad.Shared.Http;

public static class ApiRoutes
{
    /// <summary>The client's API root; every path of the contract lives under it.</summary>
    public const string Root = "/fayvad_api";
}
