# shellcheck shell=bash
# Host preparation for deploy/stack.sh up: Debian packages, the vmail user, the .stack/ folders. Sourced.

# What runs the service: `deploy/stack.sh up [--api]` installs these and nothing else (curl: up --api's health wait).
RUN_PACKAGES=(postgresql-15 dovecot-imapd dovecot-lmtpd dovecot-pgsql dovecot-fts-xapian dovecot-sieve
              dovecot-managesieved   # users' own Sieve scripts, edited by any ManageSieve client and the API
              postfix postfix-pgsql gettext-base openssl curl lua-socket
              opendkim libopendbx1-pgsql nsd gcc libc6-dev   # gcc: the verifier's resolver lock (docs/adr/0030)
              rspamd redis-server clamav-daemon clamav-milter)   # spam and virus filtering (docs/adr/0035)
# What only the tests use, added by the test command (scripts/test.sh -> `deploy/stack.sh install --test`, which CI runs
# through .ci/run): the API never needs them, and a newcomer's first `up --api` waited ~100 s on Chromium and nginx.
TEST_PACKAGES=(python3 python3-dkim python3-dnspython   # dkimpy against the stack's NSD (Dns tests), the corpus oracle
               nodejs npm chromium                     # tools/openapi: the OpenAPI lint, the docs page check, tsc
               nginx systemd)                          # the deploy tests (deploy/nginx; systemd-analyze on deploy/systemd)

# ensure_packages NAME...: installs those not installed yet; with PACKAGE_PLAN=1 prints them (the plan) and installs
# nothing (`up --plan`, `install --test --plan`).
ensure_packages() {
  local missing=() p
  if [[ ${PACKAGE_PLAN:-0} == 1 ]]; then printf '%s\n' "$@"; return 0; fi
  for p in "$@"; do
    # An npm already on the PATH (NodeSource's Node.js bundles one) would conflict with Debian's.
    [[ $p == npm ]] && command -v npm >/dev/null && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing missing packages: ${missing[*]}"
  # The lock timeout lets a concurrent apt run finish instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
}

ensure_vmail_user() {
  if ! getent passwd vmail >/dev/null; then
    log "creating system user vmail (owner of all mailboxes)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "Fayvad virtual mail" vmail
  fi
  VMAIL_UID=$(id -u vmail)
  VMAIL_GID=$(id -g vmail)
}

ensure_dirs() {
  install -d -m 0755 "$STACK_DIR" "$STACK_LOG_DIR" "$STACK_DIR/dovecot" "$STACK_DIR/postfix"
  install -d -m 0700 -o postgres -g postgres "$PG_DIR" "$PG_SOCKET_DIR"
  install -d -m 0750 -o root -g dovecot "$DOVECOT_CONF_DIR"
  install -d -m 0755 "$DOVECOT_STATE_DIR"
  install -d -m 0770 -o vmail -g vmail "$VMAIL_DIR"
  install -d -m 0755 "$POSTFIX_CONFIG_DIR" "$POSTFIX_QUEUE_DIR"
  # Postfix master dies with "open lock file ... Permission denied" otherwise.
  install -d -m 0700 -o postfix -g postfix "$POSTFIX_DATA_DIR"
  # OpenDKIM drops to the opendkim user: its config (with the DB password) is 0640 root:opendkim. Others may only pass
  # through (0751), to Postfix's way to the milter socket in run/.
  install -d -m 0751 -o root -g opendkim "$DKIM_DIR"
  install -d -m 2750 -o opendkim -g postfix "$DKIM_RUN_DIR"
  install -d -m 0755 "$NSD_DIR" "$NSD_DIR/zones" "$NSD_DIR/state" "$NSD_DIR/run"
  # A repo under a private home directory would lock the service users out.
  local u
  for u in postgres vmail dovecot postfix; do
    runuser -u "$u" -- test -x "$STACK_DIR" ||
      die "user $u cannot enter $STACK_DIR: make the path to the repo traversable (chmod o+x on its parents)"
  done
}
