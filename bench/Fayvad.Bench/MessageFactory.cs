using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Fayvad.Bench;

/// <summary>
/// Message number <c>i</c> of the bench INBOX, always the same for the same <c>i</c> (its own seeded Random), so an
/// interrupted seed resumes where it stopped. The mix: ~45 % plain text, ~40 % text+HTML, ~8 % with a file attached,
/// ~4 % HTML with an inline image, ~3 % HTML-only newsletters with remote images; ~10 % non-ASCII subjects, ~15 % replies,
/// ~20 % with Cc; distinct, increasing dates (INTERNALDATE and Date); exactly 1 in 100 has <see cref="SearchWord"/> in its body.
/// </summary>
internal static class MessageFactory
{
    public const string SearchWord = "zebraword";

    /// <summary>Arrival of message 0; each next one arrives 30-70 minutes later.</summary>
    private static readonly DateTimeOffset Start = new(2025, 1, 6, 7, 30, 0, TimeSpan.FromHours(3));

    private static readonly (string Name, string Address)[] Senders =
    [
        ("Wanjiku Kamau", "wanjiku.kamau@safaricom.example"), ("Otieno Odhiambo", "otieno@kenyapower.example"),
        ("Achieng' Atieno", "achieng@uonbi.example"), ("Mwangi Njoroge", "mwangi.njoroge@kcb.example"),
        ("Amina Hassan", "amina.hassan@mombasa-port.example"), ("José Álvarez", "jalvarez@proveedores.example"),
        ("Zoë Müller", "zoe.mueller@lieferant.example"), ("李伟", "li.wei@supplier-cn.example"),
        ("Ngozi Okonkwo", "ngozi@lagos-trade.example"), ("Søren Lindqvist", "soren@nordic.example"),
        ("Fatuma Ali", "fatuma.ali@fayvad.com"), ("Kiprono Langat", "k.langat@fayvad.com"),
        ("Grace Wambui", "g.wambui@fayvad.com"), ("Peter Kariuki", "p.kariuki@fayvad.com"),
        ("Accounts Payable", "ap@bigcorp.example"), ("M-Pesa Statements", "statements@mpesa.example"),
        ("GitHub", "noreply@github.example"), ("Jira", "jira@atlassian.example"),
        ("The Daily Brief", "newsletter@dailybrief.example"), ("Kenya Airways", "bookings@kq.example"),
        ("Chinwe Eze", "chinwe@abuja.example"), ("Hiroshi Tanaka", "tanaka@tokyo-parts.example"),
        ("Olga Petrova", "olga.petrova@moscow.example"), ("Björn Andersson", "bjorn@stockholm.example"),
        ("", "alerts@monitoring.example"), ("Nairobi Water", "billing@nairobiwater.example"),
        ("Esther Chebet", "esther.chebet@eldoret.example"), ("David Mutua", "d.mutua@machakos.example"),
        ("Halima Yusuf", "halima@garissa.example"), ("Brian Ouma", "brian.ouma@kisumu.example"),
        ("Naledi Dlamini", "naledi@joburg.example"), ("Ahmed El-Sayed", "ahmed@cairo.example"),
    ];

    private static readonly string[] Colleagues =
    [
        "d.kuria@fayvad.com", "j.wanjiru@fayvad.com", "admin@fayvad.com", "fatuma.ali@fayvad.com", "k.langat@fayvad.com",
    ];

    private static readonly string[] Topics =
    [
        "Quarterly sales report", "Invoice {0} overdue", "Meeting notes: supplier review", "Shipment {0} cleared customs",
        "Budget approval for project {0}", "Your statement for {1}", "Build #{0} failed on main", "[JIRA] FAY-{0}: login page slow",
        "Team lunch on Friday", "Contract renewal – action needed", "Password expiry reminder", "Delivery schedule week {2}",
        "Site visit in Nakuru", "Updated price list {1}", "Board pack for {1}", "Customer complaint #{0}",
        "Flight booking confirmation KQ{0}", "Weekly newsletter: {1}", "Server disk at 91% on mail-{2}", "Training sign-up sheet",
    ];

    private static readonly string[] NonAsciiTopics =
    [
        "Ripoti ya mauzo – robo ya {2}", "Réunion : ordre du jour n° {0}", "Счёт № {0} за {1}", "会议纪要 第{2}周",
        "Grüße aus München – Angebot {0}", "🎉 Sherehe ya timu Ijumaa", "Presupuesto aprobado ✔ {0}", "Møde om levering {0}",
        "Faktura {0} – påminnelse", "Πρόσκληση σε σύσκεψη {2}",
    ];

    private static readonly string[] Words =
    [
        "the", "shipment", "invoice", "please", "review", "attached", "meeting", "tomorrow", "Nairobi", "Mombasa", "budget",
        "approve", "quarter", "report", "customer", "supplier", "delivery", "schedule", "payment", "account", "balance",
        "thanks", "regards", "update", "project", "deadline", "contract", "warehouse", "order", "confirm", "team", "office",
        "agenda", "minutes", "follow", "up", "on", "with", "for", "and", "we", "need", "to", "by", "Friday", "Monday", "asap",
        "figures", "sales", "target", "region", "Kisumu", "Eldoret", "price", "list", "discount", "stock", "transport",
    ];

    private static readonly string[] Months = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[..12];

    public static MimeMessage Create(int i, string to, out DateTimeOffset arrived, out MailKit.MessageFlags flags)
    {
        var rng = new Random(unchecked(i * 7919 + 17));
        arrived = ArrivalOf(i);
        var sender = Senders[rng.Next(Senders.Length)];
        var reply = rng.Next(100) < 15 && i > 3;
        var nonAscii = rng.Next(100) < 10;
        var topic = (nonAscii ? NonAsciiTopics[rng.Next(NonAsciiTopics.Length)] : Topics[rng.Next(Topics.Length)])
            .Replace("{0}", (1000 + i).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{1}", Months[arrived.Month - 1] + " " + arrived.Year.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{2}", ISOWeek.GetWeekOfYear(arrived.DateTime).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(sender.Name, sender.Address));
        message.To.Add(MailboxAddress.Parse(to));
        if (rng.Next(100) < 20)
        {
            message.Cc.Add(MailboxAddress.Parse(Colleagues[rng.Next(Colleagues.Length)]));
            if (rng.Next(2) == 0)
            {
                message.Cc.Add(MailboxAddress.Parse(Colleagues[rng.Next(Colleagues.Length)]));
            }
        }

        message.Subject = reply ? "Re: " + topic : topic;
        message.Date = arrived.AddSeconds(-rng.Next(5, 600));
        message.MessageId = $"bench-{i}@fayvad.bench";
        if (reply)
        {
            var parent = $"bench-{i - 1 - rng.Next(3)}@fayvad.bench";
            message.InReplyTo = parent;
            message.References.Add(parent);
        }

        var searchable = i % 100 == 37;
        var text = Paragraphs(rng, rng.Next(1, 5), searchable, sender.Name);
        var body = new BodyBuilder();
        var kind = rng.Next(100);
        if (kind < 45)
        {
            body.TextBody = text;
        }
        else if (kind < 85)
        {
            body.TextBody = text;
            body.HtmlBody = Html(text, rng, remoteImage: rng.Next(10) == 0, script: rng.Next(20) == 0);
        }
        else if (kind < 93)
        {
            body.TextBody = text;
            if (rng.Next(2) == 0)
            {
                body.HtmlBody = Html(text, rng, remoteImage: false, script: false);
            }

            AddAttachment(body, rng, i);
        }
        else if (kind < 97)
        {
            body.TextBody = text;
            var logo = body.LinkedResources.Add("logo.png", RandomBytes(rng, 2_000, 12_000), ContentType.Parse("image/png"));
            logo.ContentId = MimeUtils.GenerateMessageId("fayvad.bench");
            body.HtmlBody = Html(text, rng, remoteImage: false, script: false, inlineCid: logo.ContentId);
        }
        else
        {
            // A newsletter: HTML only, remote images, a style block.
            body.HtmlBody = Html(text, rng, remoteImage: true, script: false, newsletter: true);
        }

        message.Body = body.ToMessageBody();
        flags = MailKit.MessageFlags.None;
        // Older mail is mostly read; the newest 500 mostly not.
        if (rng.Next(100) < (i < 9_500 ? 85 : 20))
        {
            flags |= MailKit.MessageFlags.Seen;
        }

        if (rng.Next(100) < 3)
        {
            flags |= MailKit.MessageFlags.Flagged;
        }

        return message;
    }

    public static DateTimeOffset ArrivalOf(int i)
    {
        var rng = new Random(unchecked(i * 104729 + 3));
        return Start.AddMinutes(i * 50L).AddMinutes(rng.Next(-20, 20));
    }

    private static string Paragraphs(Random rng, int count, bool searchable, string senderName)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Hi Bench,\n\n");
        var searchParagraph = searchable ? rng.Next(count) : -1;
        for (var p = 0; p < count; p++)
        {
            var sentences = rng.Next(2, 7);
            for (var s = 0; s < sentences; s++)
            {
                var words = rng.Next(6, 18);
                for (var w = 0; w < words; w++)
                {
                    var word = Words[rng.Next(Words.Length)];
                    if (p == searchParagraph && s == 0 && w == words / 2)
                    {
                        word = SearchWord;
                    }

                    sb.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                    sb.Append(w == words - 1 ? ". " : " ");
                }
            }

            sb.Append("\n\n");
        }

        sb.Append("Regards,\n").Append(string.IsNullOrEmpty(senderName) ? "Monitoring" : senderName).Append('\n');
        return sb.ToString();
    }

    private static string Html(string text, Random rng, bool remoteImage, bool script, string? inlineCid = null, bool newsletter = false)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\">");
        if (newsletter)
        {
            sb.Append("<style>body{font-family:Arial,sans-serif;color:#333}.cta{background:#0a6;color:#fff;padding:8px 16px}</style>");
        }

        sb.Append("</head><body>");
        if (inlineCid is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p><img src=\"cid:{inlineCid}\" alt=\"logo\" width=\"120\"></p>");
        }

        if (remoteImage)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p><img src=\"https://cdn.dailybrief.example/banner-{rng.Next(1000)}.jpg\" alt=\"banner\"></p>");
        }

        foreach (var paragraph in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            sb.Append("<p style=\"margin:0 0 12px\">").Append(System.Net.WebUtility.HtmlEncode(paragraph).Replace("\n", "<br>", StringComparison.Ordinal)).Append("</p>");
        }

        if (rng.Next(3) == 0 || newsletter)
        {
            sb.Append("<table border=\"1\" cellpadding=\"4\"><tr><th>Item</th><th>Qty</th><th>Price (KES)</th></tr>");
            var rows = rng.Next(3, newsletter ? 20 : 8);
            for (var r = 0; r < rows; r++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Words[rng.Next(Words.Length)]} {r + 1}</td><td>{rng.Next(1, 500)}</td><td>{rng.Next(100, 99_999):N0}</td></tr>");
            }

            sb.Append("</table>");
        }

        if (newsletter)
        {
            sb.Append("<p><a class=\"cta\" href=\"https://dailybrief.example/read?utm_source=mail\">Read more</a> · ")
              .Append("<a href=\"https://dailybrief.example/unsubscribe\">Unsubscribe</a></p>");
        }

        if (script)
        {
            sb.Append("<script>document.location='https://evil.example/'</script><div onclick=\"alert(1)\">click</div>");
        }

        sb.Append("<p style=\"color:#888;font-size:11px\">Sent from the Fayvad bench generator</p></body></html>");
        return sb.ToString();
    }

    private static void AddAttachment(BodyBuilder body, Random rng, int i)
    {
        switch (rng.Next(3))
        {
            case 0:
                body.Attachments.Add($"invoice-{1000 + i}.pdf", RandomBytes(rng, 8_000, 60_000), ContentType.Parse("application/pdf"));
                break;
            case 1:
                var csv = new StringBuilder("date,item,qty,amount\n");
                for (var r = 0; r < rng.Next(20, 400); r++)
                {
                    csv.Append(CultureInfo.InvariantCulture, $"2025-{rng.Next(1, 13):00}-{rng.Next(1, 29):00},{Words[rng.Next(Words.Length)]},{rng.Next(1, 99)},{rng.Next(100, 99_999)}\n");
                }

                body.Attachments.Add($"sales-{i}.csv", Encoding.UTF8.GetBytes(csv.ToString()), ContentType.Parse("text/csv"));
                break;
            default:
                body.Attachments.Add($"photo-{i}.jpg", RandomBytes(rng, 20_000, 120_000), ContentType.Parse("image/jpeg"));
                break;
        }
    }

    private static byte[] RandomBytes(Random rng, int min, int max)
    {
        var bytes = new byte[rng.Next(min, max)];
        rng.NextBytes(bytes);
        return bytes;
    }
}
