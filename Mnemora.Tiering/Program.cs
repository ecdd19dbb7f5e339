using Mnemora.Storage;
using Mnemora.Tiering;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMnemoraStorage(provision: false);
builder.AddTiering();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
