#!/usr/bin/env bash
# Benchmarks thoth-exporter against the peer exporters it replaces, side by side in one run.
#
#   bench/run.sh            the full suite (`make bench`; ~10-15 min on 2 cores)
#   bench/run.sh --smoke    Redis and one HTTP probe against their peers, 20 scrapes each, results
#                           in a temporary directory (ctest label `bench`: proves the script runs)
#
# Everything listens on 127.0.0.1 (free ports), every load is bounded in count and time, and every
# process started here is stopped by PID at the end. Results: bench/results/<date>.{md,json,svg}
# (RESULTS_DIR overrides), also printed. Tunables (environment): EXPORTER, BUILD_DIR,
# BENCH_SCRAPES (1000), BENCH_PAIR_SECONDS (40: a pairing stops earlier when its scrapes take
# longer; CPU is then scaled per 1,000 scrapes), BENCH_CONC_SECONDS (60), BENCH_TABLES (10000),
# BENCH_STATEMENTS (5000), BENCH_LOG_LINES (10000000), BENCH_COLLECTIONS (1000),
# BENCH_TARGETS (100), BENCH_ONLY (space-separated case names to run, e.g. "redis http").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
EXPORTER=${EXPORTER:-$BUILD_DIR/bin/exporter}
SMOKE=0
[ "${1:-}" = --smoke ] && SMOKE=1

N=${BENCH_SCRAPES:-1000}
PAIR_SECONDS=${BENCH_PAIR_SECONDS:-40}
CONC_SECONDS=${BENCH_CONC_SECONDS:-60}
TABLES=${BENCH_TABLES:-10000}
STATEMENTS=${BENCH_STATEMENTS:-5000}
LOG_LINES=${BENCH_LOG_LINES:-10000000}
COLLECTIONS=${BENCH_COLLECTIONS:-1000}
TARGETS=${BENCH_TARGETS:-100}
ONLY=${BENCH_ONLY:-}
if [ $SMOKE = 1 ]; then
  N=20
  PAIR_SECONDS=10
  ONLY="redis http"
fi

PGBIN=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/thoth-bench.XXXXXX)
chmod 755 "$WORK"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
PIDS=()
PG_DATA=""

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
have() { command -v "$1" >/dev/null 2>&1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() {  # url [seconds]
  local i
  for ((i = 0; i < ${2:-20} * 10; i++)); do
    curl -fs -o /dev/null --noproxy '*' "$1" && return 0
    sleep 0.1
  done
  log "not ready: $1"
  return 1
}
# start NAME CMD...: runs CMD in the background (output in $WORK/NAME.log); sets LAST_PID.
start() {
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
# stop_pid PID: SIGTERM, SIGKILL after 5 s; the PID leaves PIDS (it may be reused afterwards).
stop_pid() {
  local i rest=()
  kill "$1" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null || true
  for i in "${PIDS[@]}"; do [ "$i" = "$1" ] || rest+=("$i"); done
  PIDS=("${rest[@]}")
}
# ours NAME CONFIG_TEXT [extra args]: starts an exporter on a free port; sets OURS_URL, OURS_PID.
ours() {
  local name=$1 config=$2
  shift 2
  local port
  port=$(free_port)
  printf '%s\n' "$config" >"$WORK/$name.yml"
  start "ours-$name" "$EXPORTER" --config.file="$WORK/$name.yml" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn "$@"
  OURS_PID=$LAST_PID
  OURS_URL="http://127.0.0.1:$port"
  wait_http "$OURS_URL/health"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# record JSON: one result line.
record() { printf '%s\n' "$1" >>"$RESULTS"; }
# pair CASE PEER_NAME OURS_URL OURS_PIDS PEER_URLS PEER_PIDS [n] [seconds]
pair() {
  local case=$1 peer=$2 n=${7:-$N} secs=${8:-$PAIR_SECONDS}
  local load out
  load=$(loadavg)
  log "$case: $n alternating scrapes (at most ${secs}s), load $load"
  [ -n "${PG_SESSIONS:-}" ] && pg_sessions_start
  out=$("$LOADGEN" pair --n "$n" --max-seconds "$secs" --a "$3" --a-pids "$4" \
    --b "$5" --b-pids "$6")
  local extra=""
  [ -n "${PG_SESSIONS:-}" ] && extra=", \"pg_sessions\": $(pg_sessions_stop)"
  record "{\"kind\": \"pair\", \"case\": \"$case\", \"peer\": \"$peer\", \"load\": \"$load\", \"result\": $out$extra}"
}
# The PostgreSQL sessions each side holds: one psql session samples pg_stat_activity every 20 ms
# while a pairing runs; ours are the exporter role's sessions with application_name
# thoth-exporter, the peer's the role's others. Prints the most seen at once: {"ours": N, "peer": M}.
pg_sessions_start() {
  rm -f "$WORK/sessions.stop"
  (while [ ! -e "$WORK/sessions.stop" ] && sleep 0.02; do
    echo "SELECT (application_name = 'thoth-exporter')::int, count(*) FROM pg_stat_activity WHERE usename = 'exporter' AND backend_type = 'client backend' GROUP BY 1;"
  done | psql -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench >"$WORK/sessions.txt" 2>/dev/null) &
  SESSIONS_PID=$!
}
pg_sessions_stop() {
  touch "$WORK/sessions.stop"
  wait "$SESSIONS_PID" 2>/dev/null || true
  awk -F'|' '$2 > m[$1] { m[$1] = $2 } END { printf "{\"ours\": %d, \"peer\": %d}", m[1], m[0] }' "$WORK/sessions.txt"
}
# metric_value URL NAME_AND_LABELS_PREFIX: sum of the samples whose line starts with the prefix.
metric_sum() {
  curl -fs --noproxy '*' "$1" | awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { printf "%.0f\n", s }'
}

[ -x "$EXPORTER" ] || { log "no exporter binary at $EXPORTER (make build)"; exit 1; }
have python3 || { log "python3 is needed for the report"; exit 1; }
LOADGEN=$BUILD_DIR/bench/loadgen
mkdir -p "$(dirname "$LOADGEN")"
if [ ! -x "$LOADGEN" ] || [ "$ROOT/bench/loadgen.cc" -nt "$LOADGEN" ]; then
  g++ -O2 -std=c++20 -Wall -Wextra -Werror "$ROOT/bench/loadgen.cc" -lcurl -pthread -o "$LOADGEN"
fi
log "work dir $WORK, load $(loadavg), $(nproc) cores"
record "{\"kind\": \"meta\", \"start_load\": \"$(loadavg)\", \"cores\": $(nproc), \"revision\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\", \"smoke\": $SMOKE}"

# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------
REDIS_PORT=""
if have redis-server && { want redis || want all; }; then
  REDIS_PORT=$(free_port)
  start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK"
  REDIS_PID=$LAST_PID
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" debug populate 10000 >/dev/null
fi

NGINX_PORT=""
if have nginx && { want http || want all || want http100 || want concurrency; }; then
  NGINX_PORT=$(free_port)
  mkdir -p "$WORK/nginx/logs"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { default_type application/json; return 200 '{"status": "healthy"}'; }
  }
}
EOF
  start nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
  NGINX_PID=$LAST_PID
  wait_http "http://127.0.0.1:$NGINX_PORT/health"
fi

PG_PORT=""
if [ $SMOKE = 0 ] && [ -x "$PGBIN/initdb" ] && { want postgres || want all || want concurrency || want pg10k; }; then
  PG_PORT=$(free_port)
  mkdir -p "$WORK/pg"
  chown postgres "$WORK/pg"
  PG_DATA=$WORK/pg/data
  runuser -u postgres -- "$PGBIN/initdb" -D "$PG_DATA" -A trust -U postgres >/dev/null
  cat >>"$PG_DATA/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK/pg'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.max = 10000
pg_stat_statements.track_utility = off
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = on
log_destination = 'csvlog'
log_directory = '$WORK/pg/log'
EOF
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/server.log" -w start >/dev/null
  PG_PID=$(head -1 "$PG_DATA/postmaster.pid")
  psql_su() { psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
  psql_su -d postgres -c "CREATE DATABASE bench" -c "CREATE ROLE exporter LOGIN IN ROLE pg_monitor"
  psql_su -d bench -c "CREATE EXTENSION pg_stat_statements" \
    -c "CREATE TABLE items (id serial PRIMARY KEY, body text)" \
    -c "INSERT INTO items (body) SELECT md5(g::text) FROM generate_series(1, 10000) g"
  PG_DSN="postgresql://exporter@127.0.0.1:$PG_PORT/bench?sslmode=disable"
fi

CHROMA_PORT=""
CHROMA_CLI=""
for d in "${CHROMA_DIR:-}" "$ROOT/.chroma"; do
  [ -n "$d" ] && [ -f "$d/node_modules/chromadb/dist/cli.mjs" ] && CHROMA_CLI=$d/node_modules/chromadb/dist/cli.mjs && break
done
if [ $SMOKE = 0 ] && [ -n "$CHROMA_CLI" ] && have node && { want chroma || want all; }; then
  CHROMA_PORT=$(free_port)
  start chroma node "$CHROMA_CLI" run --path "$WORK/chroma" --host 127.0.0.1 --port "$CHROMA_PORT"
  CHROMA_PID=$LAST_PID
  wait_http "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" 30 || CHROMA_PORT=""
fi

# nginx-format access log, appended to while the logs pairing runs.
LOG_DIR=$WORK/logs
mkdir -p "$LOG_DIR"
make_log() {  # lines file
  python3 - "$1" "$2" <<'EOF'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(8)
methods = ["GET"] * 8 + ["POST", "PUT", "DELETE"]
statuses = ["200"] * 30 + ["201", "204", "301", "304", "400", "401", "403", "404", "429", "500", "502", "503"]
paths = ["/api/v1/memory/%d" % i for i in range(50)] + ["/health", "/api/v1/search?q=x"]
chunk = []
for i in range(min(n, 100000)):
    chunk.append('10.0.%d.%d - - [22/Nov/2026:02:%02d:%02d +0000] "%s %s HTTP/1.1" %s %d "-" "bench/1.0" %.3f\n'
                 % (i % 256, i % 97, i % 60, i % 60, random.choice(methods), random.choice(paths),
                    random.choice(statuses), random.randint(0, 50000), random.random() * 2))
data = "".join(chunk)
with open(path, "w") as f:
    full, rest = divmod(n, len(chunk))
    for _ in range(full):
        f.write(data)
    f.write("".join(chunk[:rest]))
EOF
}
MTAIL_PROG=$WORK/mtail
mkdir -p "$MTAIL_PROG"
cat >"$MTAIL_PROG/nginx.mtail" <<'EOF'
# The same counts as thoth's nginx log format: lines, requests by method and status, durations.
counter lines_total
counter http_requests_total by method, status
histogram http_request_duration_seconds buckets 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10

/$/ {
  lines_total++
}
/^(?P<remote_addr>\S+) \S+ (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<method>[A-Z]+) (?P<uri>\S+) (?P<protocol>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)" (?P<request_time>\d+\.\d+)/ {
  http_requests_total[$method][$status]++
  http_request_duration_seconds = $request_time
}
EOF

# ---------------------------------------------------------------------------------------------
# Pairings: one exporter of ours with the same work as one peer, scraped alternately.
# ---------------------------------------------------------------------------------------------
OFF_DEFAULTS=(--no-collector.filesystem --no-collector.container)

if want redis && [ -n "$REDIS_PORT" ] && have prometheus-redis-exporter; then
  ours redis "redis: [{name: cache, address: \"redis://127.0.0.1:$REDIS_PORT\"}]" "${OFF_DEFAULTS[@]}"
  p=$(free_port)
  start redis_exporter prometheus-redis-exporter --redis.addr="redis://127.0.0.1:$REDIS_PORT" \
    --web.listen-address="127.0.0.1:$p"
  peer_pid=$LAST_PID
  wait_http "http://127.0.0.1:$p/metrics"
  pair redis redis_exporter "$OURS_URL/metrics" "$OURS_PID" "http://127.0.0.1:$p/metrics" "$peer_pid"
  stop_pid "$OURS_PID"
  stop_pid "$peer_pid"
fi

BLACKBOX_CONF=$WORK/blackbox.yml
cat >"$BLACKBOX_CONF" <<'EOF'
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
EOF
if want http && [ -n "$NGINX_PORT" ] && have prometheus-blackbox-exporter; then
  ours http "http: [{service: api, url: \"http://127.0.0.1:$NGINX_PORT/health\"}]" "${OFF_DEFAULTS[@]}"
  p=$(free_port)
  start blackbox prometheus-blackbox-exporter --config.file="$BLACKBOX_CONF" \
    --web.listen-address="127.0.0.1:$p"
  peer_pid=$LAST_PID
  wait_http "http://127.0.0.1:$p/metrics"
  pair http blackbox_exporter "$OURS_URL/probe?collector=http&target=api" "$OURS_PID" \
    "http://127.0.0.1:$p/probe?module=http_2xx&target=http://127.0.0.1:$NGINX_PORT/health" "$peer_pid"
  stop_pid "$OURS_PID"
  stop_pid "$peer_pid"
fi

PROCESS_GROUPS=(redis-server '^postgres' nginx exporter)
# process-exporter's config, used by the `process` and `all` cases.
peer_cfg="process_names:"
for g in "${PROCESS_GROUPS[@]}"; do
  peer_cfg+=$'\n'"  - name: $(printf '%s' "$g" | tr -dc 'a-z')"$'\n'"    cmdline: ['$g']"
done
printf '%s\n' "$peer_cfg" >"$WORK/process-exporter.yml"
if want process && have prometheus-process-exporter; then
  cfg="process:"
  for g in "${PROCESS_GROUPS[@]}"; do
    cfg+=$'\n'"  - {name: $(printf '%s' "$g" | tr -dc 'a-z'), cmdline: \"$g\"}"
  done
  ours process "$cfg" "${OFF_DEFAULTS[@]}"
  p=$(free_port)
  start process_exporter prometheus-process-exporter -config.path "$WORK/process-exporter.yml" \
    -web.listen-address "127.0.0.1:$p"
  peer_pid=$LAST_PID
  wait_http "http://127.0.0.1:$p/metrics"
  pair process process-exporter "$OURS_URL/metrics" "$OURS_PID" "http://127.0.0.1:$p/metrics" "$peer_pid"
  stop_pid "$OURS_PID"
  stop_pid "$peer_pid"
fi

if want filesystem && have prometheus-node-exporter; then
  p=$(free_port)
  start node_exporter prometheus-node-exporter --collector.disable-defaults \
    --collector.filesystem --collector.meminfo --web.listen-address="127.0.0.1:$p"
  peer_pid=$LAST_PID
  wait_http "http://127.0.0.1:$p/metrics"
  # The same mount points node_exporter reports (its default exclusions), so both do the same
  # statfs work.
  mounts=$(curl -fs "http://127.0.0.1:$p/metrics" |
    sed -n 's/^node_filesystem_size_bytes{.*mountpoint="\([^"]*\)".*/\1/p' | sort -u |
    awk '{printf "%s\"%s\"", (NR > 1 ? ", " : ""), $0}')
  ours filesystem "filesystem: [$mounts]" --no-collector.container
  pair filesystem node_exporter "$OURS_URL/metrics" "$OURS_PID" "http://127.0.0.1:$p/metrics" "$peer_pid"
  stop_pid "$OURS_PID"
  stop_pid "$peer_pid"
fi

start_mtail() {  # glob; sets MTAIL_URL MTAIL_PID
  local p
  p=$(free_port)
  start mtail mtail --progs "$MTAIL_PROG" --logs "$1" --address 127.0.0.1 --port "$p" \
    --logtostderr
  MTAIL_PID=$LAST_PID
  MTAIL_URL="http://127.0.0.1:$p"
  wait_http "$MTAIL_URL/metrics"
}
NGINX_LOG_CFG="format: nginx"  # from the end, as mtail reads
if want logs && have mtail; then
  make_log 10000 "$WORK/chunk.log"
  make_log 100000 "$LOG_DIR/access.log"
  ours logs "logs: [{name: nginx, path: \"$LOG_DIR/access.log\", $NGINX_LOG_CFG}]" "${OFF_DEFAULTS[@]}"
  start_mtail "$LOG_DIR/access.log"
  # Both tail the same file while 10,000 lines are appended every second.
  (for _ in $(seq $((PAIR_SECONDS + 10))); do cat "$WORK/chunk.log" >>"$LOG_DIR/access.log"; sleep 1; done) &
  appender=$!
  PIDS+=("$appender")
  pair logs mtail "$OURS_URL/metrics" "$OURS_PID" "$MTAIL_URL/metrics" "$MTAIL_PID"
  stop_pid "$appender"
  stop_pid "$OURS_PID"
  stop_pid "$MTAIL_PID"
fi

# PostgreSQL is measured twice against postgres_exporter's defaults (server, database, activity,
# locks, settings, bgwriter; no per-table series): once on the same work (our per-table,
# pg_stat_statements and bloat sections off) and once with our defaults, which add them.
PG_SAME_WORK="tables: {limit: 0}, statements: {top: 0}, bloat: {enabled: false}"
# The server's own time for one side's scrapes: pg_stat_statements reset, 20 scrapes of that side
# alone (both sides connect as the same role), the summed execution time of the role's statements
# per scrape. The floor no exporter can beat on that work.
pg_server_time() {  # CASE WHO URL PIDS
  local n=20 out ms calls
  psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -c "SELECT pg_stat_statements_reset()" >/dev/null
  out=$("$LOADGEN" pair --n "$n" --max-seconds "$PAIR_SECONDS" --a "$3" --a-pids "$4")
  read -r ms calls < <(psql -X -qAt -F ' ' -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -c \
    "SELECT COALESCE(sum(total_exec_time), 0), COALESCE(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'exporter'")
  record "{\"kind\": \"server_time\", \"case\": \"$1\", \"who\": \"$2\", \"scrapes\": $n, \"load\": \"$(loadavg)\", \"server_ms\": $ms, \"statements\": $calls, \"result\": $out}"
}
pg_pairs() {  # CASE_PREFIX PAIR_ARGS...
  local prefix=$1 p peer_pid
  shift
  p=$(free_port)
  DATA_SOURCE_NAME=$PG_DSN start postgres_exporter prometheus-postgres-exporter \
    --web.listen-address="127.0.0.1:$p"
  peer_pid=$LAST_PID
  wait_http "http://127.0.0.1:$p/metrics" 60
  ours "$prefix-same" "postgres: [{name: bench, dsn: \"$PG_DSN\", $PG_SAME_WORK}]" "${OFF_DEFAULTS[@]}"
  PG_SESSIONS=1 pair "$prefix" postgres_exporter "$OURS_URL/metrics" "$OURS_PID" "http://127.0.0.1:$p/metrics" "$peer_pid" "$@"
  pg_server_time "$prefix" ours "$OURS_URL/metrics" "$OURS_PID"
  pg_server_time "$prefix" postgres_exporter "http://127.0.0.1:$p/metrics" "$peer_pid"
  stop_pid "$OURS_PID"
  ours "$prefix-full" "postgres: [{name: bench, dsn: \"$PG_DSN\", statements: {top: 20}}]" "${OFF_DEFAULTS[@]}"
  PG_SESSIONS=1 pair "$prefix +tables" postgres_exporter "$OURS_URL/metrics" "$OURS_PID" "http://127.0.0.1:$p/metrics" "$peer_pid" "$@"
  pg_server_time "$prefix +tables" ours "$OURS_URL/metrics" "$OURS_PID"
  stop_pid "$OURS_PID"
  stop_pid "$peer_pid"
}

if want postgres && [ -n "$PG_PORT" ] && have prometheus-postgres-exporter; then
  pg_pairs postgres
fi

# Everything at once: one exporter with all six kinds of work against the six peers (their
# scrapes one after the other; their CPU and memory summed).
ALL_OK=1
for x in prometheus-postgres-exporter prometheus-redis-exporter prometheus-blackbox-exporter \
  prometheus-process-exporter prometheus-node-exporter mtail; do
  have $x || ALL_OK=0
done
if want all && [ $ALL_OK = 1 ] && [ -n "$PG_PORT" ] && [ -n "$REDIS_PORT" ] && [ -n "$NGINX_PORT" ]; then
  make_log 100000 "$LOG_DIR/all.log"
  cfg="postgres: [{name: bench, dsn: \"$PG_DSN\"}]
redis: [{name: cache, address: \"redis://127.0.0.1:$REDIS_PORT\"}]
http: [{service: api, url: \"http://127.0.0.1:$NGINX_PORT/health\"}]
process:"
  for g in "${PROCESS_GROUPS[@]}"; do
    cfg+=$'\n'"  - {name: $(printf '%s' "$g" | tr -dc 'a-z'), cmdline: \"$g\"}"
  done
  cfg+=$'\n'"filesystem: [/]
logs: [{name: nginx, path: \"$LOG_DIR/all.log\", $NGINX_LOG_CFG}]
container: {self: false, docker_socket: \"\"}"
  ours all "$cfg"
  peers=() ppids=()
  p=$(free_port)
  DATA_SOURCE_NAME=$PG_DSN start postgres_exporter prometheus-postgres-exporter --web.listen-address="127.0.0.1:$p"
  peers+=("http://127.0.0.1:$p/metrics") ppids+=("$LAST_PID")
  p=$(free_port)
  start redis_exporter prometheus-redis-exporter --redis.addr="redis://127.0.0.1:$REDIS_PORT" --web.listen-address="127.0.0.1:$p"
  peers+=("http://127.0.0.1:$p/metrics") ppids+=("$LAST_PID")
  p=$(free_port)
  start blackbox prometheus-blackbox-exporter --config.file="$BLACKBOX_CONF" --web.listen-address="127.0.0.1:$p"
  peers+=("http://127.0.0.1:$p/probe?module=http_2xx&target=http://127.0.0.1:$NGINX_PORT/health") ppids+=("$LAST_PID")
  p=$(free_port)
  start process_exporter prometheus-process-exporter -config.path "$WORK/process-exporter.yml" -web.listen-address "127.0.0.1:$p"
  peers+=("http://127.0.0.1:$p/metrics") ppids+=("$LAST_PID")
  p=$(free_port)
  start node_exporter prometheus-node-exporter --collector.disable-defaults --collector.filesystem \
    --collector.meminfo --collector.filesystem.mount-points-exclude='^/.+' --web.listen-address="127.0.0.1:$p"
  peers+=("http://127.0.0.1:$p/metrics") ppids+=("$LAST_PID")
  start_mtail "$LOG_DIR/all.log"
  peers+=("$MTAIL_URL/metrics") ppids+=("$MTAIL_PID")
  for u in "${peers[@]}"; do wait_http "$u"; done
  pair all "six peers" "$OURS_URL/metrics" "$OURS_PID" "$(IFS=,; echo "${peers[*]}")" "$(IFS=,; echo "${ppids[*]}")"
  stop_pid "$OURS_PID"
  for x in "${ppids[@]}"; do stop_pid "$x"; done
fi

# ---------------------------------------------------------------------------------------------
# Concurrency: two scrapers on /metrics plus 50 parallel /probe requests for the PostgreSQL
# target; the database counts the exporter's statements (pg_stat_statements).
# ---------------------------------------------------------------------------------------------
pg_calls() {
  psql -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -c \
    "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'exporter'"
}
if want concurrency && [ -n "$PG_PORT" ]; then
  ours conc "postgres: [{name: bench, dsn: \"$PG_DSN\"}]" "${OFF_DEFAULTS[@]}"
  curl -fs -o /dev/null "$OURS_URL/metrics"
  psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -c "SELECT pg_stat_statements_reset()" >/dev/null
  load=$(loadavg)
  log "concurrency: 2 scrapers + 50 /probe for ${CONC_SECONDS}s, load $load"
  pg_sessions_start
  out=$("$LOADGEN" conc --duration "$CONC_SECONDS" --group "scrape=$OURS_URL/metrics,2" \
    --group "probe=$OURS_URL/probe?collector=postgres&target=bench,50")
  sessions=$(pg_sessions_stop)
  calls=$(pg_calls)
  record "{\"kind\": \"concurrency\", \"case\": \"concurrency\", \"who\": \"ours\", \"seconds\": $CONC_SECONDS, \"load\": \"$load\", \"db_statements\": $calls, \"pg_sessions\": $sessions, \"result\": $out}"
  stop_pid "$OURS_PID"
  if have prometheus-postgres-exporter; then
    p=$(free_port)
    DATA_SOURCE_NAME=$PG_DSN start postgres_exporter prometheus-postgres-exporter --web.listen-address="127.0.0.1:$p"
    peer_pid=$LAST_PID
    wait_http "http://127.0.0.1:$p/metrics"
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -c "SELECT pg_stat_statements_reset()" >/dev/null
    load=$(loadavg)
    log "concurrency: postgres_exporter, 52 parallel scrapers for ${CONC_SECONDS}s, load $load"
    pg_sessions_start
    out=$("$LOADGEN" conc --duration "$CONC_SECONDS" --group "scrape=http://127.0.0.1:$p/metrics,2" \
      --group "probe=http://127.0.0.1:$p/metrics,50")
    sessions=$(pg_sessions_stop)
    calls=$(pg_calls)
    record "{\"kind\": \"concurrency\", \"case\": \"concurrency\", \"who\": \"postgres_exporter\", \"seconds\": $CONC_SECONDS, \"load\": \"$load\", \"db_statements\": $calls, \"pg_sessions\": $sessions, \"result\": $out}"
    stop_pid "$peer_pid"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Scale cases
# ---------------------------------------------------------------------------------------------
if want http100 && [ -n "$NGINX_PORT" ] && have prometheus-blackbox-exporter; then
  cfg="http:"
  for i in $(seq "$TARGETS"); do
    cfg+=$'\n'"  - {service: t$i, url: \"http://127.0.0.1:$NGINX_PORT/t$i\"}"
  done
  ours http100 "$cfg" "${OFF_DEFAULTS[@]}"
  p=$(free_port)
  start blackbox prometheus-blackbox-exporter --config.file="$BLACKBOX_CONF" --web.listen-address="127.0.0.1:$p"
  peer_pid=$LAST_PID
  wait_http "http://127.0.0.1:$p/metrics"
  urls=()
  for i in $(seq "$TARGETS"); do urls+=("http://127.0.0.1:$p/probe?module=http_2xx&target=http://127.0.0.1:$NGINX_PORT/t$i"); done
  pair "http x$TARGETS" "blackbox_exporter (${TARGETS} probes in sequence)" "$OURS_URL/metrics" "$OURS_PID" \
    "$(IFS=,; echo "${urls[*]}")" "$peer_pid" 200 "$PAIR_SECONDS"
  stop_pid "$OURS_PID"
  stop_pid "$peer_pid"
fi

if want chroma && [ -n "$CHROMA_PORT" ]; then
  log "chroma: creating $COLLECTIONS collections"
  base="http://127.0.0.1:$CHROMA_PORT/api/v2/tenants/default_tenant/databases/default_database/collections"
  for i in $(seq "$COLLECTIONS"); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "%s"\nrequest = "POST"\nheader = "Content-Type: application/json"\ndata = "{\\"name\\": \\"c%05d\\"}"\noutput = "/dev/null"\n' "$base" "$i"
  done >"$WORK/chroma.curl"
  curl -s --noproxy '*' -K "$WORK/chroma.curl"
  cold=()
  for _ in 1 2 3; do
    ours chroma "chroma: [{name: vectors, url: \"http://127.0.0.1:$CHROMA_PORT\"}]" "${OFF_DEFAULTS[@]}"
    cold+=("$(curl -fs -o /dev/null -w '%{time_total}' "$OURS_URL/metrics")")
    stop_pid "$OURS_PID"
  done
  ours chroma "chroma: [{name: vectors, url: \"http://127.0.0.1:$CHROMA_PORT\"}]" "${OFF_DEFAULTS[@]}"
  collections=$(metric_sum "$OURS_URL/metrics" 'chroma_collections{')
  load=$(loadavg)
  out=$("$LOADGEN" pair --n 200 --max-seconds "$PAIR_SECONDS" --a "$OURS_URL/metrics" --a-pids "$OURS_PID")
  record "{\"kind\": \"chroma\", \"case\": \"chroma x$COLLECTIONS\", \"load\": \"$load\", \"collections_seen\": \"$collections\", \"cold_s\": [$(IFS=,; echo "${cold[*]}")], \"cached\": $out}"
  stop_pid "$OURS_PID"
fi

# catch_up NAME URL PID PREFIX: waits until the line counter reaches LOG_LINES (at most 120 s).
catch_up() {
  local name=$1 url=$2 pid=$3 prefix=$4
  local t0 cpu0 lines=0 now elapsed cpu hwm
  t0=$(date +%s.%N)
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  # mtail reads even new files from their end: both tailers follow an empty file, and the whole
  # log is appended to it at once (cat is far faster than either reader).
  cat "$WORK/big.log" >>"$LOG_DIR/big-$name/access.log" &
  while :; do
    lines=$(metric_sum "$url/metrics" "$prefix" || echo 0)
    now=$(date +%s.%N)
    elapsed=$(awk -v a="$t0" -v b="$now" 'BEGIN {printf "%.3f", b - a}')
    [ "${lines:-0}" -ge "$LOG_LINES" ] && break
    awk -v e="$elapsed" 'BEGIN {exit !(e > 120)}' && break
    sleep 0.2
  done
  cpu=$(awk -v t="$(getconf CLK_TCK)" -v c0="$cpu0" '{print ($14 + $15 - c0) / t}' "/proc/$pid/stat")
  hwm=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$pid/status")
  rss=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$pid/status")
  wait $! 2>/dev/null || true
  echo "{\"lines\": ${lines:-0}, \"seconds\": $elapsed, \"cpu_seconds\": $cpu, \"peak_rss_mib\": $hwm, \"rss_mib\": $rss}"
}
if want logs10m; then
  log "logs: writing a $LOG_LINES-line access log"
  make_log "$LOG_LINES" "$WORK/big.log"
  cat "$WORK/big.log" >/dev/null  # page cache, the same for both
  mkdir -p "$LOG_DIR/big-ours" "$LOG_DIR/big-mtail"
  : >"$LOG_DIR/big-ours/access.log"
  : >"$LOG_DIR/big-mtail/access.log"
  load=$(loadavg)
  ours big "logs: [{name: big, path: \"$LOG_DIR/big-ours/*.log\", format: nginx}]" "${OFF_DEFAULTS[@]}"
  res_ours=$(catch_up ours "$OURS_URL" "$OURS_PID" 'thoth_log_lines_total{log="big"}')
  stop_pid "$OURS_PID"
  res_mtail=null
  if have mtail; then
    start_mtail "$LOG_DIR/big-mtail/*.log"
    res_mtail=$(catch_up mtail "$MTAIL_URL" "$MTAIL_PID" 'lines_total')
    stop_pid "$MTAIL_PID"
  fi
  rm -f "$WORK/big.log" "$LOG_DIR"/big-*/access.log
  record "{\"kind\": \"catchup\", \"case\": \"log x$LOG_LINES\", \"load\": \"$load\", \"ours\": $res_ours, \"peer\": $res_mtail}"
fi

# The logs collector's Docker json-file and journal sources catching up on 1 M entries (and
# journalctl on the same journal files): bench/log_sources.sh.
if want logsources; then
  EXPORTER=$EXPORTER "$ROOT/bench/log_sources.sh" "$RESULTS" || log "logsources: failed"
fi

if want pg10k && [ -n "$PG_PORT" ]; then
  log "postgres: creating $TABLES tables with an index each and $STATEMENTS statements"
  for ((b = 0; b < TABLES; b += 1000)); do
    echo "BEGIN;"
    for ((i = b; i < b + 1000 && i < TABLES; i++)); do
      echo "CREATE TABLE s_$i (id int PRIMARY KEY, v int);"
    done
    echo "COMMIT;"
  done | psql_su -d bench >/dev/null
  for ((i = 0; i < STATEMENTS; i++)); do echo "SELECT count(*) FROM s_$i;"; done |
    psql_su -d bench -o /dev/null
  psql_su -d bench -c "ANALYZE" >/dev/null
  if have prometheus-postgres-exporter; then
    pg_pairs "postgres 10k" 50 "$PAIR_SECONDS"
  fi
  cfg="postgres: [{name: bench, dsn: \"$PG_DSN\", statements: {top: 20}}]"
  ours pg10k "$cfg" "${OFF_DEFAULTS[@]}"
  # The floor: the statements of one steady-state scrape (logged by the server), run by psql in
  # one session with \timing; the sum of their times. Two scrapes first, so that the one logged
  # is a steady one (caches filled, statements prepared), as the median it is compared with.
  curl -fs -o /dev/null "$OURS_URL/metrics"
  curl -fs -o /dev/null "$OURS_URL/metrics"
  psql_su -d bench -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  curl -fs -o /dev/null "$OURS_URL/metrics"
  psql_su -d bench -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  python3 - "$WORK/pg/log" "$WORK/floor.sql" <<'EOF'
import csv, glob, re, sys
out = []
for path in sorted(glob.glob(sys.argv[1] + "/*.csv")):
    with open(path, newline="") as f:
        for row in csv.reader(f):
            # Simple-query statements log as "statement: ", pipelined ones as "execute <unnamed>: "
            # or, prepared, "execute thoth_<n>: ".
            m = re.match(r"(statement|execute [^:]+): ", row[13]) if len(row) > 13 else None
            if row and len(row) > 13 and row[1] == "exporter" and m:
                sql = row[13][m.end():].strip().rstrip(";")
                # The exporter prefixes each statement with its statement_timeout.
                sql = re.sub(r"^SELECT pg_catalog\.set_config\('statement_timeout', '\d+', false\);\s*",
                             "", sql)
                if sql:
                    out.append(sql + ";")
with open(sys.argv[2], "w") as f:
    f.write("\\timing on\n" + "\n".join(out) + "\n")
print(len(out), file=sys.stderr)
EOF
  statements=$(grep -c ';$' "$WORK/floor.sql" || true)
  floors=()
  for _ in 1 2 3 4 5; do
    floors+=("$(psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U exporter -d bench -f "$WORK/floor.sql" 2>/dev/null |
      awk '/^Time: / {s += $2} END {printf "%.3f", s}')")
  done
  out=$("$LOADGEN" pair --n 50 --max-seconds "$PAIR_SECONDS" --a "$OURS_URL/metrics" --a-pids "$OURS_PID")
  record "{\"kind\": \"floor\", \"case\": \"postgres 10k floor\", \"load\": \"$(loadavg)\", \"statements\": $statements, \"psql_ms\": [$(IFS=,; echo "${floors[*]}")], \"ours\": $out}"
  stop_pid "$OURS_PID"
fi

record "{\"kind\": \"meta_end\", \"end_load\": \"$(loadavg)\"}"

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
if [ $SMOKE = 1 ]; then
  OUT=${RESULTS_DIR:-$WORK/out}
else
  OUT=${RESULTS_DIR:-$ROOT/bench/results}
fi
mkdir -p "$OUT"
python3 "$ROOT/bench/report.py" "$RESULTS" "$OUT"
if [ $SMOKE = 1 ]; then
  # The smoke test passes only when both pairings produced numbers from every side.
  python3 - "$OUT" <<'EOF'
import glob, json, sys
data = json.load(open(sorted(glob.glob(sys.argv[1] + "/*.json"))[-1]))
cases = {c["case"]: c for c in data["cases"]}
for name in ("redis", "http"):
    c = cases.get(name)
    assert c, "no result for " + name
    for side in ("ours", "peer"):
        assert c[side]["n"] >= 20 and c[side]["errors"] == 0 and c[side]["median_ms"] > 0, (name, side, c[side])
print("smoke: ok")
EOF
fi
