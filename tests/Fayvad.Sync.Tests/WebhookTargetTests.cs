using Fayvad.Sync;
using System.Net;
using System.Net.Sockets;
using Fayvad.Sync.Webhooks;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Tests;

public sealed class WebhookTargetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.10")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.1.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:192.168.1.1")]
    [InlineData("64:ff9b::a00:1")]
    public void Refuses_addresses_that_are_not_public(string address) =>
        Assert.False(Targets().Allows(IPAddress.Parse(address)));

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Allows_public_addresses(string address) => Assert.True(Targets().Allows(IPAddress.Parse(address)));

    [Fact]
    public void Configured_ranges_are_opted_back_in_and_nothing_else()
    {
        var targets = Targets("127.0.0.0/8");
        Assert.True(targets.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.False(targets.Allows(IPAddress.Parse("::1")));
        Assert.False(targets.Allows(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public async Task A_delivery_never_connects_to_a_refused_address_even_if_it_was_allowed_at_registration()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var context = (SocketsHttpConnectionContext)Activator.CreateInstance(typeof(SocketsHttpConnectionContext),
            System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null,
            [new DnsEndPoint("localhost", port), new HttpRequestMessage()], null)!;

        await Assert.ThrowsAsync<HttpRequestException>(async () => await Targets().ConnectAsync(context, Ct));

        await using var stream = await Targets("127.0.0.0/8").ConnectAsync(context, Ct);
        using var accepted = await listener.AcceptTcpClientAsync(Ct);
        Assert.True(accepted.Connected);
    }

    private static WebhookTargets Targets(params string[] allowed) =>
        new(Options.Create(new WebhookOptions { AllowedPrivateTargets = allowed }));
}
