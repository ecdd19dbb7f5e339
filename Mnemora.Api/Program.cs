using Mnemora.Api;
using Mnemora.Api.Apis;
using Mnemora.Api.Http;
using Mnemora.Api.Mcp;
using Mnemora.Api.Tenancy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseMnemoraHttp();
app.UseTenancy();
app.UseRequestBodyLimits();
app.MapDefaultEndpoints();
app.MapApiReference();

app.MapHealthApi();
app.MapAdminApi();
app.MapTierApi();
app.MapAgentAdminApi();
app.MapOperatorExportApi();

var tenantApi = app.MapTenantApi();
tenantApi.MapSemanticApi();
tenantApi.MapUsageApi();
tenantApi.MapStateApi();
tenantApi.MapEpisodicApi();
tenantApi.MapMemoryApi();
tenantApi.MapTransferApi();
tenantApi.MapSummaryApi();

// Agents reach the same memory as tools over the Model Context Protocol.
app.MapMcpServer();

app.Run();
