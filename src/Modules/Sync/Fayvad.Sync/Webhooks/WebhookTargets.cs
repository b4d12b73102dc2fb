using System.Net.Sockets;
using System.Net;
using Fayvad.Sync.Data;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Webhooks;

/// <summary>
/// Where webhook deliveries may go: public addresses only. An org admin must not be able to make the API POST into
/// the service's own network (loopback, private ranges, link-local cloud metadata at 169.254.169.254, multicast).
/// Checked when a webhook is registered and again on every connection, because DNS can change in between.
/// <see cref="WebhookOptions.AllowedPrivateTargets"/> opts named ranges back in (tests, a receiver on the same host).
/// </summary>
internal sealed class WebhookTargets(IOptions<WebhookOptions> options)
{
    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fec0::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    private readonly IPNetwork[] _allowed = options.Value.AllowedPrivateTargets.Select(IPNetwork.Parse).ToArray();

    public bool Allows(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return _allowed.Any(n => n.Contains(address)) || !NotPublic.Any(n => n.Contains(address));
    }

    /// <summary>Null when every address the URL's host resolves to is allowed; otherwise why not, in a user's words.</summary>
    public async Task<string?> CheckAsync(Uri url, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(url.IdnHost, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
            }
            catch (SocketException)
            {
                return $"url's host '{url.Host}' could not be resolved.";
            }
        }

        return addresses.Length == 0 || !addresses.All(Allows)
            ? "url must point to a public address: loopback, private, link-local, multicast and metadata addresses are not allowed."
            : null;
    }

    /// <summary>Connects only to allowed addresses of the host, so a DNS change after registration cannot redirect a delivery.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(Allows).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"Webhook host '{host}' resolves to no public address; not connecting.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
