using Mnemora.Api;
using Mnemora.Api.Http;
using Mnemora.Api.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseMnemoraHttp();
app.MapDefaultEndpoints();
app.MapApiReference();

app.MapHealthApi();

app.Run();
