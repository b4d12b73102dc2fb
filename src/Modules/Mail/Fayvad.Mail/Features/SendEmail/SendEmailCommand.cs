using Fayvad.Mail.Mime;
using Fayvad.Shared.Results;
using Fayvad.Shared.Validation;
using FluentValidation;
using Mediator;
using MimeKit;

namespace Fayvad.Mail.Features.SendEmail;

internal sealed record SendEmailCommand(
    IReadOnlyList<string> ToEmails,
    IReadOnlyList<string> CcEmails,
    IReadOnlyList<string> BccEmails,
    string? Subject,
    string? Body,
    string? BodyHtml,
    string? InReplyTo,
    string? ReplyToId,
    IReadOnlyList<OutgoingAttachment> Attachments,
    string? IdempotencyKey,
    IReadOnlyList<long>? UploadIds = null) : ICommand<Result<SendEmailResponse>>
{
    /// <summary>attachment_ids: uploads of the caller, attached in this order after the inline files.</summary>
    public IReadOnlyList<long> AttachmentIds => UploadIds ?? [];
}

/// <summary>
/// The JSON body send reads (through <see cref="ComposeJson"/>, which also takes an address list as one
/// comma-separated string); the OpenAPI document describes it from this record.
/// </summary>
internal sealed record SendEmailBody(
    IReadOnlyList<string> ToEmails,
    IReadOnlyList<string>? CcEmails,
    IReadOnlyList<string>? BccEmails,
    string? Subject,
    string? Body,
    string? BodyHtml,
    string? InReplyTo,
    string? ReplyToId,
    IReadOnlyList<long>? AttachmentIds,
    IReadOnlyList<InlineAttachment>? Attachments);

internal sealed record SendEmailResponse(bool Sent, string MessageId, DateTimeOffset Timestamp, bool SavedToSent);

internal sealed class SendEmailValidator : AbstractValidator<SendEmailCommand>
{
    public SendEmailValidator()
    {
        RuleFor(c => c).Must(c => c.ToEmails.Count + c.CcEmails.Count + c.BccEmails.Count > 0)
            .OverridePropertyName("to_emails")
            .WithMessage("to_emails is required: give at least one recipient in to_emails, cc_emails or bcc_emails.");
        RuleFor(c => c).Must(c => !string.IsNullOrWhiteSpace(c.Subject) || !string.IsNullOrWhiteSpace(c.Body)
                || !string.IsNullOrWhiteSpace(c.BodyHtml) || c.Attachments.Count + c.AttachmentIds.Count > 0)
            .OverridePropertyName("body")
            .WithMessage("The message is empty: give a subject, a body, body_html or an attachment.");
        RuleForEach(c => c.ToEmails).Must(ComposeInput.IsAddress).WithMessage((_, a) => $"to_emails: '{a}' is not a valid email address.");
        RuleForEach(c => c.CcEmails).Must(ComposeInput.IsAddress).WithMessage((_, a) => $"cc_emails: '{a}' is not a valid email address.");
        RuleForEach(c => c.BccEmails).Must(ComposeInput.IsAddress).WithMessage((_, a) => $"bcc_emails: '{a}' is not a valid email address.");
        RuleFor(c => c.Subject).MaximumLength(998).SingleLine();
        RuleFor(c => c.IdempotencyKey).MaximumLength(200);
        RuleFor(c => c).Must(c => c.Attachments.Count + c.AttachmentIds.Count <= 50).OverridePropertyName("attachments")
            .WithMessage("attachments: at most 50 files.");
        RuleForEach(c => c.AttachmentIds).GreaterThan(0).OverridePropertyName("attachment_ids")
            .WithMessage("attachment_ids: each id must be a positive integer.");
    }
}
