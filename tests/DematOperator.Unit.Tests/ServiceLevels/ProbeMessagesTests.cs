using System.Net.Sockets;
using DematOperator.ServiceLevels;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>A probe's failure says what failed in words a person acts on.</summary>
public sealed class ProbeMessagesTests
{
    [Theory]
    [InlineData(SocketError.TryAgain)]
    [InlineData(SocketError.HostNotFound)]
    public void A_name_that_does_not_resolve_says_DNS_and_the_name(SocketError error)
    {
        // What HttpClient throws when getaddrinfo fails (EAI_AGAIN reads "Resource temporarily unavailable").
        var thrown = new HttpRequestException("Resource temporarily unavailable (platau.example.gouv.fr:443)", new SocketException((int)error));
        var probe = new ProbeSpec { Name = "portal", Http = new HttpProbeSpec { Url = "https://platau.example.gouv.fr/healthz" } };
        ProbeRunner.Describe(thrown, probe).ShouldStartWith("DNS: the name platau.example.gouv.fr does not resolve (");
        var tcp = new ProbeSpec { Name = "mongodb", Tcp = new TcpProbeSpec { Host = "mongodb.platau-prod.svc", Port = 27017 } };
        ProbeRunner.Describe(new SocketException((int)error), tcp).ShouldStartWith("DNS: the name mongodb.platau-prod.svc does not resolve (");
    }

    [Fact]
    public void Other_failures_keep_the_system_s_words()
    {
        var refused = new HttpRequestException("Connection refused (127.0.0.1:1)", new SocketException((int)SocketError.ConnectionRefused));
        ProbeRunner.Describe(refused).ShouldBe(new SocketException((int)SocketError.ConnectionRefused).Message);
    }
}
