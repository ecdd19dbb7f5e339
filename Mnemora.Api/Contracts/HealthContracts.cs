namespace Mnemora.Api.Contracts;

/// <summary><c>GET /v1/health</c>: each store's status, with why when it is down.</summary>
public sealed record HealthResponse(string Status, string Version, IReadOnlyDictionary<string, StoreStatus> Stores);

public sealed record StoreStatus(string Status, string? Detail);
