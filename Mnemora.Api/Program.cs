using Mnemora.Api;
using Mnemora.Api.Apis;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseMnemoraHttp();
app.UseTenancy();
app.MapDefaultEndpoints();
app.MapApiReference();

app.MapHealthApi();
app.MapAdminApi();
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

app.Run();
