using System.Net;
using System.Net.Sockets;

namespace EfficientNet.Batch.IntegrationTests;

/// <summary>A loopback port nobody listens on now, for a service a test starts (parallel tests never share one).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
