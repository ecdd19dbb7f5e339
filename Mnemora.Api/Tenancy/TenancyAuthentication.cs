namespace Mnemora.Api.Tenancy;

/// <summary>Names of the authentication schemes, policies and claims.</summary>
public static class TenancyAuthentication
{
    /// <summary>A tenant's API key, on <c>/v1</c>.</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>The operator key, on <c>/admin/v1</c>.</summary>
    public const string OperatorScheme = "OperatorKey";

    public const string TenantPolicy = "Tenant";
    public const string OperatorPolicy = "Operator";

    public const string TenantClaim = "mnemora:tenant";

    /// <summary>The id (never the secret) of the key a tenant request came with: the actor of its audit events.</summary>
    public const string KeyClaim = "mnemora:key";
    public const string TenantRole = "tenant";
    public const string OperatorRole = "operator";
}
