#!/usr/bin/env python3
"""Inbound delivery time with and without the spam and virus filters, in one run (docs/adr/0035, issue #21).

For each mode the demo domain's antispam and antivirus are set in PostgreSQL (as the API would), the run waits until
the filters' maps have them, then N plain messages go one by one into Postfix's inbound port; each is timed from the
SMTP 250 to the moment IMAP (Dovecot, as the master user) finds it in INBOX or Junk, and (since the milters work
before the 250) also from the start of the SMTP transaction. Prints p50/p95/max per mode.

  bench/filter-delivery.py [N]      # on a running stack (deploy/stack.sh up); reads .stack/stack.env
"""
import imaplib, os, smtplib, statistics, subprocess, sys, time, uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
env = dict(l.rstrip('\n').split('=', 1) for l in open(os.path.join(REPO, '.stack', 'stack.env')) if '=' in l)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
USER, DOMAIN = env['DEMO_USER_USER'], env['DEMO_USER_USER'].split('@')[1]


def set_filters(on):
    flag = 'true' if on else 'false'
    subprocess.run([os.path.join(REPO, 'deploy', 'stack.sh'), 'psql', '-q', '-c',
                    f"UPDATE directory.domains SET antispam = {flag}, antivirus = {flag} WHERE name = '{DOMAIN}'"],
                   check=True, stdout=subprocess.DEVNULL)
    line = f"{DOMAIN} {1 if on else 0} "
    allow = os.path.join(env['STACK_DIR'], 'clamav', 'maps', 'allowlist')
    deadline = time.time() + 30
    while time.time() < deadline:
        domains = open(os.path.join(env['STACK_DIR'], 'rspamd', 'maps', 'domains.map')).read()
        allowed = DOMAIN.replace('.', '\\.') in open(allow).read()
        if any(l.startswith(line) for l in domains.splitlines()) and allowed != on:
            break
        time.sleep(0.2)
    time.sleep(6)  # rspamd rereads the map within ~1 s; clamav-milter restarts after an allow-list change


def run(mode):
    imap = imaplib.IMAP4(env['IMAP_HOST'], int(env['IMAP_PORT']))
    imap.login(f"{USER}*{env['IMAP_MASTER_USER']}", env['IMAP_MASTER_PASSWORD'])
    smtp = smtplib.SMTP(env['SMTP_HOST'], int(env['SMTP_PORT']))
    times, smtp_ms, total = [], [], []
    for i in range(N):
        tag = uuid.uuid4().hex[:12]
        body = (f"From: bench@partner.example\r\nTo: {USER}\r\nSubject: bench {mode} {tag}\r\n"
                f"Message-ID: <{tag}@partner.example>\r\nDate: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n"
                f"Delivery timing message {i} of the filter bench; an ordinary short text.\r\n")
        start = time.perf_counter()
        smtp.sendmail('bench@partner.example', [USER], body)
        t0 = time.perf_counter()
        smtp_ms.append((t0 - start) * 1000)
        found = False
        while not found and time.perf_counter() - t0 < 30:
            for folder in ('INBOX', 'Junk'):
                imap.select(folder, readonly=True)
                typ, data = imap.search(None, 'HEADER', 'Message-ID', f'<{tag}@partner.example>')
                if data and data[0].split():
                    found = True
                    break
            if not found:
                time.sleep(0.005)
        times.append((time.perf_counter() - t0) * 1000 if found else float('nan'))
        total.append((time.perf_counter() - start) * 1000 if found else float('nan'))
    smtp.quit()
    imap.logout()
    def show(what, values):
        ok = sorted(t for t in values if t == t)
        q = statistics.quantiles(ok, n=100)
        print(f"{mode:12} {what:26} n={len(ok)}/{N}  p50 {q[49]:7.1f} ms  p95 {q[94]:7.1f} ms  max {ok[-1]:7.1f} ms")
        return q[49], q[94]
    # The milters work before the 250 (end of DATA): the first line is where they cost; the last is the measure.
    show('MAIL FROM -> 250', smtp_ms)
    show('MAIL FROM -> IMAP visible', total)
    return show('250 -> IMAP visible', times)


if __name__ == '__main__':
    try:
        set_filters(False)
        off = run('filters off')
        set_filters(True)
        on = run('filters on')
        print(f"filters add (250 -> visible)  p50 {on[0] - off[0]:+7.1f} ms  p95 {on[1] - off[1]:+7.1f} ms (goal: at most +150 ms at p95)")
    finally:
        set_filters(False)
