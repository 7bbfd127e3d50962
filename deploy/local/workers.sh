#!/usr/bin/env bash
# N local Ferry workers forming one cluster (same group.id) on consecutive REST ports, for a scale demo.
#
#   workers.sh [N]        start N workers (default 3) on ports 8083, 8084, … in the background; logs under the stack dir
#   workers.sh status     which workers run, where
#   workers.sh stop       stop them (SIGTERM: each hands its tasks to the others and leaves the group)
#
# Needs the local stack (make up) and a build (make build); `make workers N=3` does both first.
# Settings (environment): FERRY_WORKERS_PORT (first REST port, 8083), FERRY_GROUP_ID (ferry-workers; the internal
# topics are named after it), FERRY_KAFKA_BOOTSTRAP / FERRY_SCHEMA_REGISTRY_URL (from `stack.sh env`), and any other
# FERRY_* worker setting, which every worker inherits.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE_DIR="${FERRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}"
STACK_DIR="${FERRY_STACK_DIR:-$CACHE_DIR/stack}"
DIR="$STACK_DIR/workers"
HOST=127.0.0.1
FIRST_PORT="${FERRY_WORKERS_PORT:-8083}"
GROUP="${FERRY_GROUP_ID:-ferry-workers}"
WAIT_SECONDS="${FERRY_WORKERS_WAIT_SECONDS:-90}"

say() { printf '[ferry-workers] %s\n' "$*" >&2; }
die() { printf '[ferry-workers] error: %s\n' "$*" >&2; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  local n="$1" port pid_file log i
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number of workers, got '$n'"
  [ -f "$ROOT/dist/runtime/main.js" ] || die "no build in dist/: run 'make build' (or 'make workers N=$n')"
  mkdir -p "$DIR"
  for ((i = 0; i < n; i++)); do
    port=$((FIRST_PORT + i))
    alive "$DIR/worker-$port.pid" && die "a worker already runs on port $port: '$0 stop' first"
    port_busy "$port" && die "port $port is taken by another process; set FERRY_WORKERS_PORT to another first port"
  done
  for ((i = 0; i < n; i++)); do
    port=$((FIRST_PORT + i))
    pid_file="$DIR/worker-$port.pid"
    log="$DIR/worker-$port.log"
    # setsid: the workers outlive this script and a Ctrl-C in the terminal that ran it.
    FERRY_REST_HOST="$HOST" FERRY_REST_PORT="$port" FERRY_ADVERTISED_HOST="$HOST" FERRY_GROUP_ID="$GROUP" \
      FERRY_CONFIG_TOPIC="${FERRY_CONFIG_TOPIC:-$GROUP-configs}" \
      FERRY_OFFSETS_TOPIC="${FERRY_OFFSETS_TOPIC:-$GROUP-offsets}" \
      FERRY_STATUS_TOPIC="${FERRY_STATUS_TOPIC:-$GROUP-status}" \
      setsid node "$ROOT/bin/ferry.js" worker >"$log" 2>&1 </dev/null &
    echo $! >"$pid_file"
  done
  local deadline=$((SECONDS + WAIT_SECONDS))
  for ((i = 0; i < n; i++)); do
    port=$((FIRST_PORT + i))
    until curl -fs "http://$HOST:$port/health" >/dev/null 2>&1; do
      alive "$DIR/worker-$port.pid" || die "the worker on port $port exited; see $DIR/worker-$port.log"
      [ "$SECONDS" -lt "$deadline" ] || die "the worker on port $port is not healthy after ${WAIT_SECONDS}s; see $DIR/worker-$port.log"
      sleep 0.5
    done
  done
  echo "$n Ferry workers in cluster '$GROUP' (logs: $DIR/worker-<port>.log):"
  for ((i = 0; i < n; i++)); do echo "  http://$HOST:$((FIRST_PORT + i))"; done
  cat <<EOF

Any worker answers for the whole cluster, e.g.
  curl -s http://$HOST:$FIRST_PORT/connectors?expand=status
  FERRY_CONNECT_URL=http://$HOST:$((FIRST_PORT + n - 1)) deploy/scripts/ferry-connect list --status
Kill one (kill -9 \$(cat $DIR/worker-$FIRST_PORT.pid)) and watch its tasks' worker_id change within ~10 s.
Stop them all: bash deploy/local/workers.sh stop
EOF
}

stop() {
  local f pid any=0
  shopt -s nullglob
  for f in "$DIR"/worker-*.pid; do
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" && any=1
      say "stopping the worker on port $(basename "$f" .pid | sed 's/worker-//') (pid $pid)"
    fi
  done
  for f in "$DIR"/worker-*.pid; do
    pid="$(cat "$f")"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && say "pid $pid still runs after 30 s; leaving it (kill -9 $pid to force)" && continue
    rm -f "$f"
  done
  [ "$any" = 1 ] || say "no workers were running"
}

status() {
  local f port any=0
  shopt -s nullglob
  for f in "$DIR"/worker-*.pid; do
    port="$(basename "$f" .pid | sed 's/worker-//')"
    if alive "$f"; then
      echo "http://$HOST:$port  pid $(cat "$f")  log $DIR/worker-$port.log"
      any=1
    fi
  done
  [ "$any" = 1 ] || echo "no workers running"
}

case "${1:-3}" in
  stop) stop ;;
  status) status ;;
  -h | --help | help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) start "${1:-3}" ;;
esac
