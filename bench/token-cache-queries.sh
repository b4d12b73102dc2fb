#!/usr/bin/env bash
# Transactions PostgreSQL ran (all users) for 300 GET /email/folders/ with one token, against the running API on
# API_URL. Compare with the API started with Identity__Tokens__CacheLifetime=00:00:00 (cache off). See bench/README.md.
cd "$(dirname "${BASH_SOURCE[0]}")/.." && source .stack/stack.env
TOKEN=$(curl -s -X POST ${API_URL#http://}/fayvad_api/auth/login/ -H 'Content-Type: application/json' \
  -d "{\"username\":\"$DEMO_USER_USER\",\"password\":\"$DEMO_USER_PASSWORD\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
for i in 1 2 3; do curl -s -o /dev/null ${API_URL#http://}/fayvad_api/email/folders/ -H "Authorization: Token $TOKEN"; done
q() { psql "$DATABASE_URL" -Atc "select sum(xact_commit+xact_rollback) from pg_stat_database where datname='fayvad'"; }
sleep 1; before=$(q)
for i in $(seq 300); do curl -s -o /dev/null ${API_URL#http://}/fayvad_api/email/folders/ -H "Authorization: Token $TOKEN"; done
sleep 1; after=$(q)
echo "transactions for 300 requests: $((after - before - 1))"
