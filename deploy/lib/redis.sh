# shellcheck shell=bash
# Redis 7: rspamd's Bayes store (docs/adr/0035). Runs as the redis user on loopback. Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

REDIS_DIR=$STACK_DIR/redis

redis_pid() { live_pid "$REDIS_DIR/redis.pid"; }

start_redis() {
  RENDER_CHANGED=0
  install -d -m 0750 -o redis -g redis "$REDIS_DIR"
  install -m 0640 -o redis -g redis /dev/null "$STACK_LOG_DIR/redis.log.new" 2>/dev/null || true
  [[ -f $STACK_LOG_DIR/redis.log ]] || mv -f "$STACK_LOG_DIR/redis.log.new" "$STACK_LOG_DIR/redis.log"
  rm -f "$STACK_LOG_DIR/redis.log.new"
  render "$DEPLOY_DIR/redis/redis.conf" "$REDIS_DIR/redis.conf" 0640 root:redis
  keep_or_restart redis "$(redis_pid)" && return 0
  ensure_port_free redis "$REDIS_PORT"
  log "redis: starting ($LISTEN_ADDRESS:$REDIS_PORT, rspamd's Bayes store)"
  runuser -u redis -- redis-server "$REDIS_DIR/redis.conf" </dev/null >>"$STACK_LOG_DIR/redis.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/redis.log" >&2; die "redis did not start"; }
}

redis_answers() { [[ $(redis-cli -h "$LISTEN_ADDRESS" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

wait_redis_ready() { wait_until "redis ($REDIS_PORT)" "$STACK_LOG_DIR/redis.log" redis_answers; }

signal_redis() { signal_stop redis "$(redis_pid)"; }
