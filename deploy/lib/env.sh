# shellcheck shell=bash
# Secrets (.stack/secrets.env), the demo accounts, and what `up` publishes: stack.env for tools and tests, and the
# API's settings file (.stack/api.env, written by api.sh), both from the one table stack_settings. Sourced.
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

# Every setting `up` publishes, each once: its name in stack.env (tools, tests, benches and people; shell names), its
# key in api.env (the Host's configuration, Section__Key, docs/adr/0029), '-' where that file does not carry it, and
# its value. Values come from load_secrets' charset, the ports and the paths: no tab, no newline, no quoting.
stack_settings() {
  printf '%s\t%s\t%s\n' \
    API_URL                  -                              "http://localhost:$API_PORT" \
    IMAP_HOST                Mail__Imap__Host               "$LISTEN_ADDRESS" \
    IMAP_PORT                Mail__Imap__Port               "$IMAP_PORT" \
    -                        Mail__Imap__Security           None \
    SMTP_HOST                Mail__Smtp__Host               "$LISTEN_ADDRESS" \
    SMTP_PORT                Mail__Smtp__InboundPort        "$SMTP_PORT" \
    SUBMISSION_PORT          Mail__Smtp__Port               "$SUBMISSION_PORT" \
    -                        Mail__Smtp__Security           None \
    LMTP_PORT                -                              "$LMTP_PORT" \
    DOVEADM_URL              Mail__Doveadm__Url             "http://$LISTEN_ADDRESS:$DOVEADM_PORT/doveadm/v1" \
    DOVEADM_PORT             -                              "$DOVEADM_PORT" \
    MANAGESIEVE_PORT         -                              "$MANAGESIEVE_PORT" \
    -                        Mail__Push__HintAddress        "$LISTEN_ADDRESS" \
    PUSH_HINT_PORT           Mail__Push__HintPort           "$PUSH_HINT_PORT" \
    DOVEADM_API_KEY          Mail__Doveadm__ApiKey          "$DOVEADM_API_KEY" \
    PG_HOST                  -                              "$PG_HOST" \
    PG_PORT                  -                              "$PG_PORT" \
    API_PORT                 -                              "$API_PORT" \
    DATABASE_URL             -                              "postgres://fayvad:$(urlencode "$DB_PASSWORD")@$PG_HOST:$PG_PORT/$PG_DB" \
    DB_CONNECTION            ConnectionStrings__Fayvad      "$(npgsql_cs)" \
    MAIL_DB_USER             -                              fayvad_mail \
    MAIL_DB_PASSWORD         -                              "$MAIL_DB_PASSWORD" \
    IMAP_MASTER_USER         Mail__Imap__MasterUser         "$IMAP_MASTER_USER" \
    IMAP_MASTER_PASSWORD     Mail__Imap__MasterPassword     "$IMAP_MASTER_PASSWORD" \
    -                        Seed__Demo                     true \
    DEMO_SUPERADMIN_USER     Seed__SuperadminUsername       "$DEMO_SUPERADMIN_USER" \
    DEMO_SUPERADMIN_PASSWORD Seed__SuperadminPassword       "$DEMO_SUPERADMIN_PASSWORD" \
    DEMO_ORGADMIN_USER       Seed__OrgAdminUsername         "$DEMO_ORGADMIN_USER" \
    DEMO_ORGADMIN_PASSWORD   Seed__OrgAdminPassword         "$DEMO_ORGADMIN_PASSWORD" \
    DEMO_USER_USER           Seed__UserUsername             "$DEMO_USER_USER" \
    DEMO_USER_PASSWORD       Seed__UserPassword             "$DEMO_USER_PASSWORD" \
    DEMO_USER2_USER          Seed__User2Username            "$DEMO_USER2_USER" \
    DEMO_USER2_PASSWORD      Seed__User2Password            "$DEMO_USER2_PASSWORD" \
    DEMO_SERVICE_USER        Seed__ServiceUsername          "$DEMO_SERVICE_USER" \
    DEMO_SERVICE_PASSWORD    Seed__ServicePassword          "$DEMO_SERVICE_PASSWORD" \
    STACK_DIR                -                              "$STACK_DIR" \
    DOVECOT_CONF             -                              "$DOVECOT_CONF" \
    POSTFIX_CONFIG_DIR       -                              "$POSTFIX_CONFIG_DIR" \
    DKIM_SOCKET              -                              "$DKIM_SOCKET" \
    DKIM_DB_USER             -                              fayvad_dkim \
    DKIM_DB_PASSWORD         -                              "$DKIM_DB_PASSWORD" \
    DKIM_VERIFY_SOCKET       -                              "$DKIM_VERIFY_SOCKET" \
    AUTHSERV_ID              Mail__AuthenticationResults__TrustedServers__0 "$MAIL_HOSTNAME" \
    DNS_PORT                 Directory__Dns__Port           "$DNS_PORT" \
    POLICY_PORT              -                              "$POLICY_PORT" \
    -                        Directory__Dns__Server         "$LISTEN_ADDRESS" \
    NSD_CONF                 -                              "$NSD_CONF" \
    NSD_ZONES_DIR            -                              "$NSD_DIR/zones" \
    RSPAMD_PORT              -                              "$RSPAMD_PORT" \
    RSPAMD_CONTROLLER_PORT   -                              "$RSPAMD_CONTROLLER_PORT" \
    RSPAMD_CONTROLLER_URL    -                              "http://$LISTEN_ADDRESS:$RSPAMD_CONTROLLER_PORT" \
    REDIS_PORT               -                              "$REDIS_PORT" \
    RSPAMD_PID_FILE          -                              "$RSPAMD_DIR/run/rspamd.pid" \
    REDIS_PID_FILE           -                              "$REDIS_DIR/redis.pid" \
    CLAMD_PID_FILE           -                              "$CLAMAV_DIR/run/clamd.pid" \
    CLAMAV_MILTER_PID_FILE   -                              "$CLAMAV_DIR/run/clamav-milter.pid"
}

# write_settings FILE COLUMN [HEADER]: FILE (0600, replaced whole) gets NAME=value for every setting that has a name
# in COLUMN of stack_settings (1: stack.env, 2: api.env), after the HEADER comment lines.
write_settings() {
  local file=$1 column=$2 header=${3:-} tmp settings
  tmp=$(mktemp "$file.XXXXXX")
  settings=$(stack_settings) || { rm -f "$tmp"; die "cannot compute the settings for ${file#"$REPO"/}"; }
  { [[ -z $header ]] || printf '%s\n' "$header"
    awk -F'\t' -v c="$column" '$c != "-" { print $c "=" $3 }' <<<"$settings"; } >"$tmp"
  chmod 0600 "$tmp"; mv -f "$tmp" "$file"
}

write_stack_env() { write_settings "$STACK_ENV" 1; }
