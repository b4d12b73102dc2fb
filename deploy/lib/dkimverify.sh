# shellcheck shell=bash
# OpenDKIM's second instance: verifies DKIM on the inbound (port 25) service and stamps Authentication-Results
# (docs/adr/0030). Keys come from DNS through libunbound, forwarded to the stack's NSD only. Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

DKIM_VERIFY_DIR=$STACK_DIR/opendkim-verify
DKIM_VERIFY_CONF=$DKIM_VERIFY_DIR/opendkim.conf
# Postfix's smtpd (not chrooted) connects here; the folder is setgid postfix, so the socket OpenDKIM creates (UMask 007)
# is group postfix and nobody else may use it.
DKIM_VERIFY_SOCKET=$DKIM_VERIFY_DIR/run/milter.sock  # as in opendkim-verify.conf and master.cf

dkim_verify_pid() { live_pid "$DKIM_VERIFY_DIR/run/opendkim.pid"; }

# No database and no connection held between messages (a lookup is a fresh query), so neither a PostgreSQL nor an
# NSD restart needs anything here; only a config change restarts it (OpenDKIM has no reload of these settings).
start_dkim_verifier() {
  RENDER_CHANGED=0
  install -d -m 0755 "$DKIM_VERIFY_DIR"
  install -d -m 2750 -o opendkim -g postfix "$DKIM_VERIFY_DIR/run"
  render "$DEPLOY_DIR/opendkim/opendkim-verify.conf" "$DKIM_VERIFY_CONF" 0644 root:root
  render "$DEPLOY_DIR/opendkim/unbound.conf" "$DKIM_VERIFY_DIR/unbound.conf" 0644 root:root
  build_ub_config_lock
  keep_or_restart "opendkim verifier" "$(dkim_verify_pid)" && return 0
  run_opendkim "opendkim verifier" "$DKIM_VERIFY_CONF" "$DKIM_VERIFY_SOCKET" opendkim-verify.log \
    "authserv-id $MAIL_HOSTNAME, keys via NSD :$DNS_PORT" "$UB_CONFIG_LOCK"
}

# The verifier parses its ResolverConfiguration once per message, on many threads, and libunbound's parser is not
# thread-safe: without this lock it crashes under concurrent mail (deploy/opendkim/ub-config-lock.c, docs/adr/0030).
UB_CONFIG_LOCK=$DKIM_VERIFY_DIR/lib/ub-config-lock.so
build_ub_config_lock() {
  local src=$DEPLOY_DIR/opendkim/ub-config-lock.c
  [[ -f $UB_CONFIG_LOCK && $UB_CONFIG_LOCK -nt $src ]] && return 0
  command -v gcc >/dev/null || die "gcc is needed to build ${src#"$REPO"/} (the OpenDKIM verifier crashes without it)"
  install -d -m 0755 "$DKIM_VERIFY_DIR/lib"
  gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$UB_CONFIG_LOCK.new" "$src" -ldl -lpthread ||
    die "could not build ${src#"$REPO"/}"
  chmod 0644 "$UB_CONFIG_LOCK.new"; mv -f "$UB_CONFIG_LOCK.new" "$UB_CONFIG_LOCK"
  RENDER_CHANGED=1
}

wait_dkim_verifier_ready() {
  wait_until "opendkim verifier milter (${DKIM_VERIFY_SOCKET#"$REPO"/})" "$STACK_LOG_DIR/opendkim-verify.log" \
    milter_socket_ready "$DKIM_VERIFY_SOCKET" dkim_verify_pid
}

signal_dkim_verifier() { signal_stop "opendkim verifier" "$(dkim_verify_pid)"; }
