#!/usr/bin/python3
"""Verifies the DKIM signatures of the message on stdin with dkimpy, fetching keys from the loopback test DNS.
Usage: dkim_verify.py DNS_PORT. Prints one line per signature: "<selector> pass|fail"; exit 0 only if all pass."""
import re
import sys

import dkim
import dns.message
import dns.query

port = int(sys.argv[1])


def dnsfunc(name, timeout=5):
    query = dns.message.make_query(name.decode() if isinstance(name, bytes) else name, "TXT")
    answer = dns.query.udp(query, "127.0.0.1", port=port, timeout=timeout)
    for rrset in answer.answer:
        for rdata in rrset:
            return b"".join(rdata.strings)
    print(f"no TXT at {name!r}", file=sys.stderr)
    return None


message = sys.stdin.buffer.read()
verifier = dkim.DKIM(message)
headers = [v for (k, v) in verifier.headers if k.lower() == b"dkim-signature"]
if not headers:
    print("unsigned")
    sys.exit(2)
ok = True
for index, value in enumerate(headers):
    selector = re.search(rb"s=([^;\s]+)", value).group(1).decode()
    try:
        passed = dkim.DKIM(message).verify(idx=index, dnsfunc=dnsfunc)
        reason = ""
    except dkim.DKIMException as e:  # a body hash mismatch is raised, not returned
        passed, reason = False, str(e)
    ok = ok and passed
    print(selector, "pass" if passed else "fail", file=sys.stdout)
    if reason:
        print(reason, file=sys.stderr)
sys.exit(0 if ok else 1)
