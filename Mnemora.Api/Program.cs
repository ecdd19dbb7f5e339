using Mnemora.Api;
using Mnemora.Api.Apis;
using Mnemora.Api.Http;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseMnemoraHttp();
app.MapDefaultEndpoints();
app.MapApiReference();

app.MapHealthApi();

var tenantApi = app.MapTenantApi();
tenantApi.MapSemanticApi();

app.Run();
