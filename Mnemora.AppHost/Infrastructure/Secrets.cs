namespace Mnemora.AppHost.Infrastructure;

internal static class Secrets
{
    /// <summary>Generated on first run and kept in the AppHost's user secrets; letters and digits only so it survives shells and URLs.</summary>
    public static GenerateParameterDefault Generated => new() { MinLength = 32, Special = false };
}
