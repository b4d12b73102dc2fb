using Fayvad.Shared.Options;
using FluentValidation;

namespace Fayvad.Sync;

/// <summary>Bound from "Mail:Push": the section keeps the name it had when push was part of the Mail module (docs/adr/0039).</summary>
internal sealed class PushOptions
{
    /// <summary>Gone (docs/adr/0038): read only so that a node still set to <c>Notify</c> refuses to start.</summary>
    public string? Mode { get; set; }

    /// <summary>Where this node receives hints (UDP); loopback unless Dovecot runs on another host.</summary>
    public string HintAddress { get; set; } = "127.0.0.1";

    public int HintPort { get; set; } = 10300;

    /// <summary>
    /// Every watched mailbox is also checked this often (spread over the interval), so a lost hint (API
    /// down, datagram dropped) costs at most this much latency, never an event.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Sync passes run at once on this node; more wait.</summary>
    public int MaxConcurrentPasses { get; set; } = 16;

    /// <summary>
    /// A hint for a mailbox another node watches is passed to it through PostgreSQL NOTIFY. Off for a
    /// single node, which saves one query per hint about a mailbox nobody watches.
    /// </summary>
    public bool ForwardHints { get; set; } = true;

    /// <summary>A comment line this often keeps proxies from closing an idle stream; the token is re-checked as often.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long events stay replayable by Last-Event-ID; the contract promises at least an hour.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(2);

    /// <summary>One node keeps a mailbox in sync under a lease it renews every third of this.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a watch outlives its last listener, so a reconnecting client finds it warm.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a mailbox stays watched after a check-new call: longer than any sane poll interval (the client's polled
    /// every 30 s), so a polling inbox keeps one watch warm and every call reads current counts from PostgreSQL.
    /// </summary>
    public TimeSpan CheckNewKeepAlive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a check-new call waits for the first sync of a mailbox nobody was watching before answering 503.</summary>
    public TimeSpan CheckNewBaselineWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>This node's name in leases; empty means host name, process id and a random suffix.</summary>
    public string NodeId { get; set; } = "";
}

/// <summary>Bound from "Mail:Webhooks".</summary>
internal sealed class WebhookOptions
{
    /// <summary>Whether this node sends queued deliveries; off for nodes that should only serve requests.</summary>
    public bool Deliver { get; set; } = true;

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);
    public int MaxAttempts { get; set; } = 15;
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries are also polled this often, in case a notification was missed.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// CIDR ranges a webhook may target although they are not public (e.g. "127.0.0.0/8" for a receiver on the same
    /// host, or in tests). Empty in production: only public addresses.
    /// </summary>
    public string[] AllowedPrivateTargets { get; set; } = [];

    /// <summary>How often the set of mailboxes to watch for webhooks is re-read from the Directory.</summary>
    public TimeSpan InterestRefresh { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class PushOptionsValidator : OptionsValidator<PushOptions>
{
    public PushOptionsValidator()
    {
        Setting(o => o.Mode).Must(m => m is null || m.Equals("Hints", StringComparison.OrdinalIgnoreCase))
            .WithMessage(o => $"is {o.Mode}, which is no longer supported: push comes from Dovecot's hints and the sweep (docs/adr/0038); remove the setting");
        Setting(o => o.Heartbeat).GreaterThan(TimeSpan.Zero);
        Setting(o => o.LeaseTtl).GreaterThan(TimeSpan.Zero);
        Setting(o => o.Retention).GreaterThan(TimeSpan.Zero);
        Setting(o => o.HintAddress).Must(a => System.Net.IPAddress.TryParse(a, out _)).WithMessage("must be an IP address for Dovecot's push hints");
        Setting(o => o.HintPort).InclusiveBetween(1, 65535);
        Setting(o => o.SweepInterval).GreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        Setting(o => o.MaxConcurrentPasses).GreaterThan(0);
    }
}

internal sealed class WebhookOptionsValidator : OptionsValidator<WebhookOptions>
{
    public WebhookOptionsValidator()
    {
        Setting(o => o.MaxAttempts).GreaterThan(0);
        Setting(o => o.InitialBackoff).GreaterThan(TimeSpan.Zero);
        Setting(o => o.MaxBackoff).GreaterThanOrEqualTo(o => o.InitialBackoff);
        Setting(o => o.RequestTimeout).GreaterThan(TimeSpan.Zero);
        EachSetting(o => o.AllowedPrivateTargets).Must(n => System.Net.IPNetwork.TryParse(n, out _)).WithMessage("must be CIDR ranges such as 127.0.0.0/8");
    }
}
