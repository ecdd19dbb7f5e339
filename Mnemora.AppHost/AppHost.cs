using Mnemora.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Stores: PostgreSQL + pgvector, DynamoDB and S3, from containers, local processes or managed services.
var stores = builder.AddMnemoraStores(InfrastructureModes.Resolve(builder));

// Secrets: generated on first run and kept in user secrets; set them with Parameters__operator-key=… .
var operatorKey = builder.AddParameter("operator-key", Secrets.Generated, secret: true, persist: true);
var dashboardPassword = builder.AddParameter("dashboard-password", Secrets.Generated, secret: true, persist: true);
// The API's tenant queries log in as mnemora_app (row-level security binds it) with this password.
var postgresAppPassword = builder.AddParameter("postgres-app-password", Secrets.Generated, secret: true, persist: true);

// Services: the API provisions the stores' schema at start; the worker and the dashboard wait for it.
var api = builder.AddProject<Projects.Mnemora_Api>("api")
    .WithStores(stores)
    .WithEnvironment("Mnemora__OperatorKey", operatorKey)
    .WithEnvironment("Mnemora__Postgres__AppPassword", postgresAppPassword)
    .WithConfigurationSection(builder.Configuration, "Mnemora:Summaries")
    .WithConfigurationSection(builder.Configuration, "Mnemora:BurstLimits")
    .WithConfigurationSection(builder.Configuration, "Mnemora:KeyGuard")
    .WithFixedPort(builder.Configuration["Mnemora:ApiPort"])
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithUrl("/scalar", "API reference")
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Mnemora_Tiering>("tiering")
    .WithStores(stores)
    .WaitFor(api)
    .WithConfigurationSection(builder.Configuration, "Mnemora:Tiering")
    .WithHttpHealthCheck("/health");

// The operator console: talks to the API's operator routes only, never to a store.
builder.AddProject<Projects.Mnemora_Dashboard>("dashboard")
    .WithReference(api)
    .WaitFor(api)
    .WithEnvironment("Mnemora__OperatorKey", operatorKey)
    .WithEnvironment("Mnemora__DashboardPassword", dashboardPassword)
    .WithFixedPort(builder.Configuration["Mnemora:DashboardPort"])
    .WithHttpHealthCheck("/health");

builder.Build().Run();
