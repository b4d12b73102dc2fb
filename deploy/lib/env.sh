# shellcheck shell=bash
# Secrets (.stack/secrets.env), the demo accounts, and what `up` publishes for tools and tests (.stack/stack.env).
# The API's own settings file (.stack/api.env) is written by api.sh. Sourced.
# shellcheck disable=SC2034  # read by the other lib files

SECRET_NAMES=(DB_PASSWORD MAIL_DB_PASSWORD DKIM_DB_PASSWORD IMAP_MASTER_PASSWORD DOVEADM_API_KEY
              DEMO_SUPERADMIN_PASSWORD DEMO_ORGADMIN_PASSWORD DEMO_USER_PASSWORD DEMO_USER2_PASSWORD
              DEMO_SERVICE_PASSWORD)
# The demo accounts, named here only: `migrate` seeds them (Seed__*Username/Password in api.env) and stack.env
# publishes them (DEMO_*_USER/_PASSWORD) for the tests, the benches and people.
DEMO_SUPERADMIN_USER=superadmin@fayvad.com
DEMO_ORGADMIN_USER=admin@fayvad.com
DEMO_USER_USER=d.kuria@fayvad.com
DEMO_USER2_USER=j.wanjiru@fayvad.com
# The bare-username superadmin the Django client's direct-call pages log in as (not a secret; env wins).
DEMO_SERVICE_USER=${DEMO_SERVICE_USER:-fayvad_service}

# Env wins; otherwise the value saved in secrets.env; otherwise a new random one
# is generated and saved. Env-provided values are not written to disk.
load_secrets() {
  local name value saved
  touch "$SECRETS_ENV"; chmod 0600 "$SECRETS_ENV"
  for name in "${SECRET_NAMES[@]}"; do
    value=${!name:-}
    if [[ -z $value ]]; then
      saved=$(sed -n "s/^$name=//p" "$SECRETS_ENV" | tail -n1)
      value=$saved
    fi
    if [[ -z $value ]]; then
      value=$(openssl rand -base64 18 | tr -d '/+=')
      printf '%s=%s\n' "$name" "$value" >>"$SECRETS_ENV"
      log "generated $name into ${SECRETS_ENV#"$REPO"/}"
    fi
    # These values end up in libpq conninfo, Postfix map files, connection
    # strings and URLs: a conservative charset keeps all of them valid unquoted.
    [[ $value =~ ^[A-Za-z0-9._~+=-]+$ ]] ||
      die "$name may only contain letters, digits and . _ ~ + = -"
    printf -v "$name" '%s' "$value"
  done
}

write_stack_env() {
  local tmp; tmp=$(mktemp "$STACK_ENV.XXXXXX")
  cat >"$tmp" <<EOF
API_URL=http://localhost:$API_PORT
IMAP_HOST=$LISTEN_ADDRESS
IMAP_PORT=$IMAP_PORT
SMTP_HOST=$LISTEN_ADDRESS
SMTP_PORT=$SMTP_PORT
SUBMISSION_PORT=$SUBMISSION_PORT
LMTP_PORT=$LMTP_PORT
DOVEADM_URL=http://$LISTEN_ADDRESS:$DOVEADM_PORT/doveadm/v1
DOVEADM_PORT=$DOVEADM_PORT
PUSH_HINT_PORT=$PUSH_HINT_PORT
DOVEADM_API_KEY=$DOVEADM_API_KEY
PG_HOST=$PG_HOST
PG_PORT=$PG_PORT
API_PORT=$API_PORT
DATABASE_URL=postgres://fayvad:$(urlencode "$DB_PASSWORD")@$PG_HOST:$PG_PORT/$PG_DB
DB_CONNECTION=$(npgsql_cs)
MAIL_DB_USER=fayvad_mail
MAIL_DB_PASSWORD=$MAIL_DB_PASSWORD
IMAP_MASTER_USER=$IMAP_MASTER_USER
IMAP_MASTER_PASSWORD=$IMAP_MASTER_PASSWORD
DEMO_SUPERADMIN_USER=$DEMO_SUPERADMIN_USER
DEMO_SUPERADMIN_PASSWORD=$DEMO_SUPERADMIN_PASSWORD
DEMO_ORGADMIN_USER=$DEMO_ORGADMIN_USER
DEMO_ORGADMIN_PASSWORD=$DEMO_ORGADMIN_PASSWORD
DEMO_USER_USER=$DEMO_USER_USER
DEMO_USER_PASSWORD=$DEMO_USER_PASSWORD
DEMO_USER2_USER=$DEMO_USER2_USER
DEMO_USER2_PASSWORD=$DEMO_USER2_PASSWORD
DEMO_SERVICE_USER=$DEMO_SERVICE_USER
DEMO_SERVICE_PASSWORD=$DEMO_SERVICE_PASSWORD
STACK_DIR=$STACK_DIR
DOVECOT_CONF=$DOVECOT_CONF
POSTFIX_CONFIG_DIR=$POSTFIX_CONFIG_DIR
DKIM_PORT=$DKIM_PORT
DKIM_DB_USER=fayvad_dkim
DKIM_DB_PASSWORD=$DKIM_DB_PASSWORD
DKIM_VERIFY_SOCKET=$DKIM_VERIFY_SOCKET
AUTHSERV_ID=$MAIL_HOSTNAME
DNS_PORT=$DNS_PORT
NSD_CONF=$NSD_CONF
NSD_ZONES_DIR=$NSD_DIR/zones
EOF
  chmod 0600 "$tmp"; mv -f "$tmp" "$STACK_ENV"
}
