#!/usr/bin/python3
"""Messages built to break a reader's IMAP parser (issue 19), generated rather than stored: they are megabytes of
repetition. The same bytes every run (no clock, no random ids).

parse_corpus.py reads them as `crafted/<name>` beside the stored suites; run directly, this prints one JSON object per
message, {"name", "raw" (base64)}, for tests that append them with neighbours (HostileMessageTests).
"""
import base64
import json

TO = "reader@example.com"
DATE = "Mon, 07 Dec 2026 10:00:00 +0000"


def folded(name, size):
    """Words folded at 76 columns after the header's name, as a long real header is."""
    text = [name + ":"]
    length = len(name) + 1
    line = length
    i = 0
    while length < size:
        word = f"word{i % 1000:03d}"
        if line + len(word) + 1 > 76:
            text.append("\r\n")
            length += 2
            line = 0
        text.append(" " + word)
        length += len(word) + 1
        line += len(word) + 1
        i += 1
    return "".join(text)


def head(subject):
    return f"From: sender@example.com\r\nTo: {TO}\r\nSubject: {subject}\r\nDate: {DATE}\r\nMessage-ID: <crafted-{subject}@example.com>\r\n"


def messages():
    yield "subject-200k", (folded("Subject", 200 * 1024) + f"\r\nFrom: a@example.com\r\nTo: {TO}\r\nDate: {DATE}\r\n\r\nlong subject\r\n").encode("ascii")
    yield "from-name-200k", (f"From: \"{'N' * 200 * 1024}\" <named@example.com>\r\nTo: {TO}\r\nSubject: from-name-200k\r\nDate: {DATE}\r\n\r\nlong name\r\n").encode("ascii")
    yield "in-reply-to-1m-line", (f"From: a@example.com\r\nTo: {TO}\r\nSubject: in-reply-to-1m-line\r\nDate: {DATE}\r\n"
                                  f"In-Reply-To: <{'r' * 1024 * 1024}@example.com>\r\n\r\none long line\r\n").encode("ascii")
    recipients = ",\r\n".join(f" r{i:04d}@example.com" for i in range(5000))
    yield "to-5000", f"From: a@example.com\r\nTo:{recipients}\r\nSubject: to-5000\r\nDate: {DATE}\r\n\r\nmany recipients\r\n".encode("ascii")

    nested = [head("nested-100"), "MIME-Version: 1.0\r\n"]
    for depth in range(100):
        nested.append(f"Content-Type: multipart/mixed; boundary=\"b{depth}\"\r\n\r\n--b{depth}\r\n")
    nested.append("Content-Type: text/plain\r\n\r\ndeepest text\r\n")
    for depth in range(99, -1, -1):
        nested.append(f"--b{depth}--\r\n")
    yield "nested-100", "".join(nested).encode("ascii")

    parts = [head("parts-5000"), "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n",
             "--p\r\nContent-Type: text/plain\r\n\r\nfirst of many parts\r\n"]
    for i in range(1, 5000):
        parts.append(f"--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{i}.bin\"\r\n\r\nx{i}\r\n")
    parts.append("--p--\r\n")
    yield "parts-5000", "".join(parts).encode("ascii")

    # An 8-bit parameter is a literal in BODYSTRUCTURE too: neither ENVELOPE nor BODYSTRUCTURE can be asked for.
    for name, filename in (("filename-8bit-8k", "\u00e9" * 4000), ("filename-ascii-8k", "f" * 8000)):
        yield name, (head(name) + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"
                     f"--p\r\nContent-Type: text/plain\r\n\r\nhello {name}\r\n--p\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Disposition: attachment; filename=\"{filename}.txt\"\r\n\r\nxx\r\n--p--\r\n").encode("utf-8")


if __name__ == "__main__":
    for name, raw in messages():
        print(json.dumps({"name": name, "raw": base64.b64encode(raw).decode("ascii")}))
