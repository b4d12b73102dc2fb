#!/usr/bin/python3
"""The independent reading of the corpus: Python's own `email` package (Debian's /usr/bin/python3).

Prints one JSON object per message, one per line:
  {"name", "raw" (base64 of the bytes to APPEND; they are read here as IMAP serves them, lines ending CRLF), "subject", "sender", "text", "attachments": [{"part", "kind", "sha256", "size"}]}

A file is one message (and crafted.py's messages are `crafted/<name>`); a `*.mbox.txt` file is split into messages at each "From " line that starts the file or follows
a blank line (the separator line itself is not part of the message, as every mbox reader does).
"text" is whether the message has a plain or html body with any text in it (what a reader must see).
"part" is the IMAP part specifier (RFC 3501 6.4.5): a multipart's children are numbered from 1, a message/rfc822 part
is a leaf, and a message that is not multipart has the single part "1".
"""
import base64
import email
import email.header
import email.policy
import email.utils
import hashlib
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ folder among the suites' folders
import crafted  # noqa: E402  (beside this file)

SKIP = {"LICENSE", "NOTICE", "README.md", "README.hunnysoft.md", "collect.sh", "parse_corpus.py", "allow-list.txt"}


def messages(root):
    for source in sorted(os.listdir(root)):
        folder = os.path.join(root, source)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name in SKIP or os.path.getsize(os.path.join(folder, name)) == 0:
                continue  # an empty file is no message (and IMAP refuses to store one)
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            if name.endswith(".mbox.txt"):
                for i, raw in enumerate(split_mbox(data)):
                    yield f"{source}/{name}#{i}", raw
            else:
                yield f"{source}/{name}", data
    # The crafted cases (crafted.py): generated, not stored.
    for name, raw in crafted.messages():
        yield f"crafted/{name}", raw


def split_mbox(data):
    """mboxo/mboxrd: a message ends where a "From " line follows a blank line; mboxcl: where its Content-Length says,
    when that lands on the next "From " line or the end (then a "From " line inside the body does not split it)."""
    pos = 0
    while pos < len(data):
        line_end = data.find(b"\n", pos)
        if line_end < 0:
            return
        start = line_end + 1
        header_end = re.search(rb"\r?\n\r?\n", data[start:])
        end = None
        if header_end:
            body = start + header_end.end()
            length = re.search(rb"(?im)^Content-Length:\s*(\d+)", data[start:start + header_end.start()])
            if length:
                candidate = body + int(length.group(1))
                rest = data[candidate:]
                if candidate <= len(data) and (not rest.strip() or re.match(rb"(\r?\n)?From ", rest)):
                    end = candidate
        if end is None:
            following = re.search(rb"(?<=\n\n)From |(?<=\r\n\r\n)From ", data[start:])
            end = start + following.start() if following else len(data)
        chunk = data[start:end]
        if chunk.strip():
            yield chunk
        nxt = re.search(rb"From ", data[end:])
        pos = end + nxt.start() if nxt else len(data)


ENCODED_WORD = re.compile(rb"=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?(.*?)\?=")


def plain(raw):
    """Bytes outside encoded-words: UTF-8 when they are, else Windows-1252 (what such mail was written in)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def word(charset, encoding, payload):
    if encoding in b"bB":
        payload = base64.b64decode(payload + b"=" * (-len(payload) % 4))
    else:
        payload = re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), payload.replace(b"_", b" "))
    try:
        return payload.decode(charset.decode("ascii"))
    except (LookupError, UnicodeDecodeError, ValueError):
        return plain(payload)


def text(raw):
    """A header's text as a reader shows it (RFC 2047 read at the byte level, so 8-bit bytes inside an encoded-word
    count in its charset), runs of white space made one space."""
    if raw is None:
        return ""
    out, last, previous_word = [], 0, False
    for m in ENCODED_WORD.finditer(raw):
        between = raw[last:m.start()]
        if not (previous_word and between.strip() == b""):
            out.append(plain(between))
        try:
            out.append(word(*m.groups()))
        except Exception:
            out.append(plain(m.group(0)))
        last, previous_word = m.end(), True
    out.append(plain(raw[last:]))
    return " ".join("".join(out).split())


def header(msg, name):
    """The first field's raw bytes (the parser keeps 8-bit bytes as surrogates)."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value).encode("ascii", "surrogateescape")
    return None


def sender(msg):
    for name in ("From", "Sender"):
        raw = header(msg, name)
        if raw is None:
            continue
        try:
            pairs = email.utils.getaddresses([text(raw)])
        except Exception:
            pairs = []
        for _, address in pairs:
            if "@" in address:
                return address.lower()
    return ""


def leaves(part, spec):
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        for i, child in enumerate(part.get_payload(), 1):
            yield from leaves(child, f"{spec}.{i}" if spec else str(i))
    else:
        yield spec or "1", part


def is_attachment(part):
    return (part.get("Content-Disposition") or "").strip().lower().startswith("attachment")


def body_part(part, subtype):
    """The part a reader shows as the text (or html) body: in an alternative the richest match, else the first."""
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        children = part.get_payload()
        if part.get_content_subtype() == "alternative":
            children = list(reversed(children))
        elif part.get_content_subtype() == "related":
            children = children[:1]
        for child in children:
            found = body_part(child, subtype)
            if found is not None:
                return found
        return None
    if part.get_content_type() == f"text/{subtype}" and not is_attachment(part):
        return part
    return None


def has_text(msg):
    for subtype in ("plain", "html"):
        part = body_part(msg, subtype)
        if part is None:
            continue
        try:
            content = part.get_content()
        except Exception:
            content = part.get_payload(decode=True) or b""
        if isinstance(content, bytes):
            content = content.decode("latin-1")
        if content.strip():
            return True
    return False


def served(raw):
    """The bytes IMAP serves back: every line ends CRLF (RFC 3501), a bare LF is stored and served as CRLF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", raw)


def describe(name, raw):
    msg = email.message_from_bytes(served(raw), policy=email.policy.default)
    bodies = {id(p) for p in (body_part(msg, "plain"), body_part(msg, "html")) if p is not None}
    attachments = []
    for spec, part in leaves(msg, ""):
        if id(part) in bodies:
            continue
        if part.is_multipart():
            # An embedded message (or report): its bytes are compared by presence only (Python re-serializes it).
            attachments.append({"part": spec, "kind": "message", "sha256": None, "size": None})
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:
            payload = None
        if payload == b"" and not (part.get_filename() or part.get_param("name")):
            continue  # an empty part without a name is nothing a user would call an attachment
        attachments.append({
            "part": spec,
            "kind": "part",
            "sha256": None if payload is None else hashlib.sha256(payload).hexdigest(),
            "size": None if payload is None else len(payload),
        })
    return {
        "name": name,
        "raw": base64.b64encode(raw).decode("ascii"),
        "subject": text(header(msg, "Subject")),
        "sender": sender(msg),
        "text": has_text(msg),
        "attachments": attachments,
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, raw in messages(root):
        print(json.dumps(describe(name, raw)))


if __name__ == "__main__":
    main()
