using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

return await StartupFailure.RunAsync(async () =>
{
    var builder = WebApplication.CreateBuilder(args);
    if (builder.Configuration["urls"] is null && builder.Configuration["http_ports"] is null)
    {
        // Several workers on one machine must not fight over a port: without --urls / ASPNETCORE_HTTP_PORTS
        // (the container sets 8080), health endpoints bind a free loopback port, logged at start.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
    }

    builder.AddDistributedWorker();
    var app = builder.Build();
    app.MapHealthEndpoints();
    await app.RunAsync();
});
