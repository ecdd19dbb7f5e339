global using Aspire.Hosting.ApplicationModel;
global using Microsoft.Extensions.Diagnostics.HealthChecks;
