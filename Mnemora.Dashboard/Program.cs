using Mnemora.Dashboard;
using Mnemora.Dashboard.Account;
using Mnemora.Dashboard.Components;

var builder = WebApplication.CreateBuilder(args);
// Fluent UI's assets come from its package; outside Development they are served only when asked for.
builder.WebHost.UseStaticWebAssets();

builder.AddServiceDefaults();
builder.AddDashboardServices();

var app = builder.Build();

app.UseTrustedProxies();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}

app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapAccountEndpoints();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

app.Run();
