using Mnemora.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Stores: PostgreSQL + pgvector, DynamoDB and S3, from containers, local processes or managed services.
var mode = InfrastructureModes.Resolve(builder);
var stores = builder.AddMnemoraStores(mode);

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
    // What a request may wait on each store before it is a 503 (README: "A store that does not answer").
    .WithConfigurationSection(builder.Configuration, "Mnemora:Stores")
    .WithConfigurationSection(builder.Configuration, "Mnemora:Postgres")
    .WithConfigurationSection(builder.Configuration, "Mnemora:Summaries")
    .WithConfigurationSection(builder.Configuration, "Mnemora:BurstLimits")
    .WithConfigurationSection(builder.Configuration, "Mnemora:HeavyCalls")
    .WithConfigurationSection(builder.Configuration, "Mnemora:Tiers")
    .WithConfigurationSection(builder.Configuration, "Mnemora:KeyGuard")
    .WithConfigurationSection(builder.Configuration, "Mnemora:ForwardedHeaders")
    .WithConfigurationSection(builder.Configuration, "Mnemora:SemanticExpiry")
    .WithConfigurationSection(builder.Configuration, "Mnemora:Cors")
    .WithFixedPort(builder.Configuration["Mnemora:ApiPort"])
    // Mnemora:ApiReplicas copies behind one endpoint; with more than one they share their limits in Redis.
    .WithApiReplicas(mode, builder.ApiReplicas())
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithUrl("/scalar", "API reference")
    .WithHttpHealthCheck("/health");

// The worker moves episodes between DynamoDB and S3: it gets no PostgreSQL connection string at all.
builder.AddProject<Projects.Mnemora_Tiering>("tiering")
    .WithAwsStores(stores)
    .WaitFor(api)
    .WithConfigurationSection(builder.Configuration, "Mnemora:Tiering")
    .WithConfigurationSection(builder.Configuration, "Mnemora:Stores")
    .WithHttpHealthCheck("/health");

// The operator console: talks to the API's operator routes only, never to a store.
builder.AddProject<Projects.Mnemora_Dashboard>("dashboard")
    .WithReference(api)
    .WaitFor(api)
    .WithEnvironment("Mnemora__OperatorKey", operatorKey)
    .WithEnvironment("Mnemora__DashboardPassword", dashboardPassword)
    .WithConfigurationSection(builder.Configuration, "Mnemora:ForwardedHeaders")
    .WithConfigurationSection(builder.Configuration, "Mnemora:SignIn")
    .WithFixedPort(builder.Configuration["Mnemora:DashboardPort"])
    .WithHttpHealthCheck("/health");

// Every service runs in Production (no developer error page) unless --Mnemora:ServiceEnvironment says otherwise.
builder.WithServiceEnvironment();

builder.Build().Run();
