using Fayvad.Shared.Options;
using FluentValidation;
namespace Fayvad.Directory.Deletion;

/// <summary>Bound from "Directory:Deletion".</summary>
internal sealed class DeletionOptions
{
    /// <summary>How long deleted organizations, domains, mailboxes and users (and their mail) can be restored.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often a node looks for deletions past their retention.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether this node runs the purge job at all (one node at a time runs a pass, whatever this says).</summary>
    public bool Purge { get; set; } = true;

    /// <summary>Mailboxes purged per pass; a full batch is followed at once by the next.</summary>
    public int PurgeBatch { get; set; } = 50;
}

internal sealed class DeletionOptionsValidator : OptionsValidator<DeletionOptions>
{
    public DeletionOptionsValidator()
    {
        Setting(o => o.Retention).GreaterThan(TimeSpan.Zero);
        Setting(o => o.PurgeInterval).GreaterThan(TimeSpan.Zero);
        Setting(o => o.PurgeBatch).InclusiveBetween(1, 10_000);
    }
}
