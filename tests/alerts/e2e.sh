#!/usr/bin/env bash
# End to end: real PostgreSQL, Redis and ChromaDB, the exporter (tailing real log files),
# Prometheus scraping it every second with alerts/ loaded (for: and windows shortened in a
# temporary copy), Alertmanager with the deployed routing and inhibition sending to a local
# webhook receiver. Then:
#   1. every dashboard query returns data (a failure names the dashboard and the panel);
#   2. Redis stopped -> the RedisDown page reaches the receiver;
#   3. MEM-001 lines written to the service log -> the MEM-001 page arrives;
#   4. connections held up to 96 % of the pool -> PostgresConnectionsHigh critical pages and its
#      warning is inhibited (never sent to chat, suppressed in Alertmanager).
# Usage: tests/alerts/e2e.sh [EXPORTER_BINARY]   (default build/bin/exporter)
# Everything listens on 127.0.0.1 on free ports; every process is stopped by PID at the end.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

EXPORTER=${1:-${THOTH_EXPORTER:-$THOTH_SRC/build/bin/exporter}}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
CHROMA_CLI=$THOTH_SRC/.chroma/node_modules/chromadb/dist/cli.mjs
STARTED_AT=$SECONDS

W=$(mktemp -d /tmp/thoth-e2e.XXXXXX)
chmod 755 "$W"
mkdir -p "$W/logs" "$W/backups" "$W/rules" "$W/prom" "$W/am" "$W/chroma"
CGROUP=""

cleanup() {
  stop_all
  [ -f "$W/pg/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1
  [ -n "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
  if [ "$FAILED" -gt 0 ] || [ -n "${KEEP_E2E:-}" ]; then
    echo "--- logs kept in $W (exporter.log, prometheus.log, alertmanager.log, received.jsonl)"
    echo "--- last lines of the exporter's log:"
    tail -n 30 "$W/exporter.log" 2>/dev/null
  else
    rm -rf "$W"
  fi
}
trap cleanup EXIT

die() {
  fail "$*"
  summary "e2e"
  exit 1
}

[ -x "$EXPORTER" ] || die "no exporter binary at $EXPORTER (build it first)"
[ -n "$PGBIN" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
if [ ! -f "$CHROMA_CLI" ] && [ -f "$THOTH_SRC/scripts/setup.d/chroma.sh" ]; then
  bash "$THOTH_SRC/scripts/setup.d/chroma.sh" >/dev/null || true
fi
[ -f "$CHROMA_CLI" ] || die "ChromaDB test server not installed (scripts/setup.d/chroma.sh)"

PG_PORT=$(free_port)
REDIS_PORT=$(free_port)
CHROMA_PORT=$(free_port)
HOOK_PORT=$(free_port)
EXPORTER_PORT=$(free_port)
PROM_PORT=$(free_port)
AM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
AM=http://127.0.0.1:$AM_PORT

# ---- servers ------------------------------------------------------------------------------
echo "== starting PostgreSQL, Redis, ChromaDB and the webhook receiver"
mkdir -p "$W/pg" && chown postgres "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg" -A trust -U postgres >"$W/initdb.log" 2>&1 ||
  die "initdb failed: $(tail -3 "$W/initdb.log")"
cat >>"$W/pg/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$W/pg'
shared_preload_libraries = 'pg_stat_statements'
max_connections = 100
fsync = off
CONF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -l "$W/pg/postgres.log" -w -t 30 start >/dev/null ||
  die "PostgreSQL did not start: $(tail -5 "$W/pg/postgres.log")"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
psql_ -d postgres -c "CREATE ROLE exporter LOGIN; GRANT pg_monitor TO exporter;" \
  -c "CREATE DATABASE letta_memory_db;" >/dev/null || die "could not create the database"
psql_ -d letta_memory_db >/dev/null <<'SQL' || die "could not create the test schema"
CREATE EXTENSION pg_stat_statements;
CREATE TABLE memory_entities (id serial PRIMARY KEY, client_id int, body text);
CREATE INDEX memory_entities_client_idx ON memory_entities (client_id);  -- never scanned
-- pg_stats hides the columns of tables the role cannot read: the bloat estimate needs them.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO exporter;
INSERT INTO memory_entities (client_id, body) SELECT g % 10, repeat('x', 200) FROM generate_series(1, 20000) g;
DELETE FROM memory_entities WHERE id % 3 = 0;  -- dead rows
ANALYZE memory_entities;
SQL

start "$W/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --maxmemory 64mb --maxmemory-policy allkeys-lru
REDIS_PID=$STARTED_PID
wait_until 10 redis-cli -p "$REDIS_PORT" ping || die "Redis did not start"
redis_() { redis-cli -p "$REDIS_PORT" "$@" >/dev/null 2>&1; }
for i in $(seq 1 20); do redis_ SET "ratelimit:client$i" 1 EX 3600; redis_ SET "cache:$i" "value$i"; done

start "$W/chroma.log" node "$CHROMA_CLI" run --path "$W/chroma" --host 127.0.0.1 --port "$CHROMA_PORT"
wait_until 30 curl -sf "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" || die "ChromaDB did not start"
chroma_api=http://127.0.0.1:$CHROMA_PORT/api/v2/tenants/default_tenant/databases/default_database
collection=$(curl -sf -XPOST -H 'Content-Type: application/json' "$chroma_api/collections" \
  -d '{"name": "memories", "metadata": {"purpose": "e2e"}}' | jq -r .id)
[ -n "$collection" ] && [ "$collection" != null ] || die "could not create a Chroma collection"
ids=$(seq 1 50 | jq -R . | jq -sc .)
embeddings=$(seq 1 50 | jq -c '[., 1, 2, 3, 4, 5, 6, 7]' | jq -sc .)
curl -sf -XPOST -H 'Content-Type: application/json' "$chroma_api/collections/$collection/add" \
  -d "{\"ids\": $ids, \"embeddings\": $embeddings}" >/dev/null || die "could not add Chroma records"

start "$W/receiver.log" node "$THOTH_SRC/tests/alerts/webhook_receiver.js" "$HOOK_PORT" "$W/received.jsonl"
wait_until 10 curl -sf "http://127.0.0.1:$HOOK_PORT/health" || die "webhook receiver did not start"

# A real pg_dump -Fc archive (it verifies: no ThothBackupUnverified page here).
cp "$THOTH_SRC/tests/fixtures/backup/postgres_20240115_020000.dump" "$W/backups/postgres_20250101_000000.dump"
: >"$W/logs/memory-service.log"
: >"$W/logs/access.log"

# ---- the exporter, in a memory cgroup with a limit when the host allows one ------------------
cat >"$W/exporter.yml" <<YAML
exporter:
  listen_address: 127.0.0.1:$EXPORTER_PORT
  scrape_timeout: 8s
postgres:
  - name: memory-db
    dsn: postgresql://exporter@127.0.0.1:$PG_PORT/letta_memory_db
    pool_size: 50
redis:
  - {name: cache, address: "redis://127.0.0.1:$REDIS_PORT", count_keys: ["db0=ratelimit:*"]}
chroma:
  - {name: vectors, url: "http://127.0.0.1:$CHROMA_PORT", expected_dimension: 8}
http:
  - {service: receiver, url: "http://127.0.0.1:$HOOK_PORT/health", expect_status: [200], expect_json: {status: healthy}}
container: {self: true}
process:
  - {name: redis, cmdline: "redis-server"}
  - {name: postgres, cmdline: "postgres"}
filesystem: [/, $W]
backup:
  - {name: postgres, glob: "$W/backups/postgres_*.dump"}
logs:
  - {name: memory-service, path: "$W/logs/memory-service.log", format: error_codes}
  - {name: nginx, path: "$W/logs/access.log", format: nginx}
YAML
"$EXPORTER" --check-config --config.file="$W/exporter.yml" >"$W/check-config.log" 2>&1 ||
  die "the exporter rejects the test config: $(cat "$W/check-config.log")"

memcg=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
if [ -n "$memcg" ] && [ -w "/sys/fs/cgroup/memory$memcg" ] &&
  mkdir "/sys/fs/cgroup/memory$memcg/thoth-e2e-$$" 2>/dev/null; then
  CGROUP=/sys/fs/cgroup/memory$memcg/thoth-e2e-$$
  echo $((1024 * 1024 * 1024)) >"$CGROUP/memory.limit_in_bytes"
  echo "   exporter runs in memory cgroup $memcg/thoth-e2e-$$ (limit 1 GiB)"
fi
start "$W/exporter.log" bash -c 'if [ -n "$1" ]; then echo $$ >"$1/cgroup.procs"; fi; shift; exec "$@"' \
  _ "$CGROUP" "$EXPORTER" --config.file="$W/exporter.yml" --log.level=info
wait_until 15 curl -sf "http://127.0.0.1:$EXPORTER_PORT/health" || die "the exporter did not start"

# ---- Prometheus and Alertmanager -------------------------------------------------------------
# The rules as shipped, with every for: cut to 3s and the 5m windows to 20s, so that the test
# takes seconds; the expressions, labels and thresholds are the shipped ones.
for f in "$THOTH_SRC"/alerts/*.rules.yml; do
  sed -E -e 's/^( +for: ).*/\13s/' -e 's/\[5m\]/[20s]/g' -e 's/offset 5m/offset 20s/g' "$f" >"$W/rules/$(basename "$f")"
done
promtool check rules "$W"/rules/*.yml >/dev/null || die "the shortened rules do not load"
cat >"$W/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ["$W/rules/*.yml"]
alerting:
  alertmanagers: [{static_configs: [{targets: ["127.0.0.1:$AM_PORT"]}]}]
scrape_configs:
  - job_name: thoth-exporter
    static_configs: [{targets: ["127.0.0.1:$EXPORTER_PORT"]}]
YAML
alertmanager_test_config "http://127.0.0.1:$HOOK_PORT" "$W/alertmanager.yml"
amtool check-config "$W/alertmanager.yml" >/dev/null || die "the test Alertmanager config does not load"
start "$W/alertmanager.log" prometheus-alertmanager --config.file="$W/alertmanager.yml" \
  --storage.path="$W/am" --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address=
start "$W/prometheus.log" prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/prom" \
  --web.listen-address="127.0.0.1:$PROM_PORT"
wait_until 20 curl -sf "$AM/-/ready" || die "Alertmanager did not start"
wait_until 30 curl -sf "$PROM/-/ready" || die "Prometheus did not start"

# ---- traffic: log lines, queries, cache hits and misses, once a second ------------------------
cat >"$W/traffic.sh" <<'SH'
#!/usr/bin/env bash
# Writes access-log and service-log lines and touches the servers once a second, for N seconds.
W=$1 PG_PORT=$2 REDIS_PORT=$3 N=$4
for i in $(seq 1 "$N"); do
  now=$(date -u '+%d/%b/%Y:%H:%M:%S +0000')
  {
    for status in 200 200 200 201 200 404 500 429 401 403; do
      echo "127.0.0.1 - - [$now] \"GET /api/memories/$i HTTP/1.1\" $status 512 \"-\" \"e2e\" 0.$((RANDOM % 900 + 10))"
    done
    echo "127.0.0.1 - - [$now] \"POST /api/memories HTTP/1.1\" 200 128 \"-\" \"e2e\" 2.500"
  } >>"$W/logs/access.log"
  for code in MEM-002 MEM-003 MEM-004 MEM-006 MEM-007 MEM-008; do
    echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') ERROR [$code] request $i failed" >>"$W/logs/memory-service.log"
  done
  redis-cli -p "$REDIS_PORT" GET cache:1 >/dev/null 2>&1
  redis-cli -p "$REDIS_PORT" GET missing:$i >/dev/null 2>&1
  redis-cli -p "$REDIS_PORT" NOSUCHCOMMAND >/dev/null 2>&1
  psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d letta_memory_db \
    -c "SELECT count(*) FROM memory_entities WHERE body LIKE 'x%'" >/dev/null 2>&1
  sleep 1
done
SH
start "$W/traffic.log" bash "$W/traffic.sh" "$W" "$PG_PORT" "$REDIS_PORT" 400

# ---- 1. every dashboard query returns data ---------------------------------------------------
echo "== 1. dashboards: every query returns data ($(($SECONDS - STARTED_AT)) s in)"
scraped() { test "$(curl -sf "$PROM/api/v1/query?query=up" | jq -r '.data.result[0].value[1]')" = 1; }
wait_until 30 scraped ||
  die "Prometheus does not scrape the exporter: $(curl -s "$PROM/api/v1/targets" | jq -c '.data.activeTargets[0].lastError')"
sleep 15  # a few scrapes for rate() and increase()
# Without a memory cgroup of our own the exporter has no limit to report: those queries may be
# empty (listed as SKIP), everything else must return data.
allow=()
[ -z "$CGROUP" ] && allow=(--allow-empty-expr "container_spec_memory_limit_bytes|thoth_container_memory_working_set:ratio")
deadline=$((SECONDS + 60))
while :; do
  node "$THOTH_SRC/tests/alerts/check_dashboard_queries.js" "$PROM" --rate-interval 15s --range 1m \
    "${allow[@]}" >"$W/dashboards.out" 2>&1 && break
  [ $SECONDS -ge $deadline ] && break
  sleep 5
done
if grep -q ' 0 failed' "$W/dashboards.out"; then
  pass "every dashboard query returns data ($(tail -1 "$W/dashboards.out"))"
  grep -A1 "^SKIP" "$W/dashboards.out" || true
else
  grep -E '^FAIL' "$W/dashboards.out" | sed 's/^FAIL dashboard queries against Prometheus: /  /'
  fail "dashboard queries without data ($(tail -1 "$W/dashboards.out"))"
fi

# received ALERTNAME RECEIVER [label=value] -> true once a firing notification arrived there.
received() {
  local name=$1 receiver=$2 label=${3:-} key value
  key=${label%%=*}
  value=${label#*=}
  [ -f "$W/received.jsonl" ] || return 1
  jq -e --arg n "$name" --arg r "$receiver" --arg k "$key" --arg v "$value" -s '
    [.[] | select(.body.receiver == $r) | .body.alerts[]
         | select(.status == "firing" and .labels.alertname == $n)
         | select($k == "" or .labels[$k] == $v)] | length > 0' "$W/received.jsonl" >/dev/null
}

# ---- 2. Redis down -> page ------------------------------------------------------------------
echo "== 2. Redis stopped -> RedisDown pages ($(($SECONDS - STARTED_AT)) s in)"
kill "$REDIS_PID"
if wait_until 60 received RedisDown pager target=cache; then
  pass "RedisDown for target cache reached the pager receiver"
else
  fail "RedisDown did not reach the pager receiver within 60 s (redis_up: $(curl -s "$PROM/api/v1/query?query=redis_up" | jq -c '.data.result[].value[1]'))"
fi

# ---- 3. MEM-001 lines -> page -----------------------------------------------------------------
echo "== 3. MEM-001 logged -> MemDatabaseConnectionTimeout pages ($(($SECONDS - STARTED_AT)) s in)"
check "no MEM-001 page before the lines are written" bash -c "! grep -q MEM-001 '$W/received.jsonl' 2>/dev/null"
for i in 1 2 3; do
  echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') ERROR MEM-001 Database connection timeout after 30s (attempt $i)" \
    >>"$W/logs/memory-service.log"
done
if wait_until 60 received MemDatabaseConnectionTimeout pager code=MEM-001; then
  pass "MEM-001 page reached the pager receiver"
else
  fail "no MEM-001 page within 60 s (counter: $(curl -s "$PROM/api/v1/query?query=thoth_memory_errors_total" | jq -c '[.data.result[] | {code: .metric.code, source: .metric.source, v: .value[1]}]'))"
fi

# ---- 4. 96 % of the pool -> critical pages, warning inhibited -----------------------------
echo "== 4. connections at 96 % of the pool ($(($SECONDS - STARTED_AT)) s in)"
pool=$(curl -s "$PROM/api/v1/query?query=pg_connections_limit%7Btarget%3D%22memory-db%22%7D" | jq -r '.data.result[0].value[1]')
base=$(curl -s "$PROM/api/v1/query?query=sum(pg_stat_activity_count%7Btarget%3D%22memory-db%22%7D)" | jq -r '.data.result[0].value[1]')
if [ "$pool" = 50 ] && [[ "$base" =~ ^[0-9]+$ ]]; then
  hold=$((48 - base))  # 48 of 50 = 96 %
  echo "   pool $pool, $base connections in use, holding $hold more"
  echo "SELECT pg_sleep(120);" >"$W/sleep.sql"
  start "$W/pgbench.log" "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "$hold" -j 1 \
    -T 90 -f "$W/sleep.sql" letta_memory_db
  if wait_until 60 received PostgresConnectionsHigh pager severity=critical; then
    pass "PostgresConnectionsHigh critical reached the pager receiver"
    ratio=$(curl -s "$PROM/api/v1/query?query=sum(pg_stat_activity_count%7Btarget%3D%22memory-db%22%7D)/sum(pg_connections_limit%7Btarget%3D%22memory-db%22%7D)" | jq -r '.data.result[0].value[1]')
    echo "   pool usage now $ratio"
    warning_state() {
      curl -sf "$AM/api/v2/alerts?filter=alertname%3D%22PostgresConnectionsHigh%22&filter=severity%3D%22warning%22" |
        jq -r '.[0] | "\(.status.state):\(.status.inhibitedBy | length)"'
    }
    warning_suppressed() { test "$(warning_state)" = suppressed:1; }
    wait_until 15 warning_suppressed
    check "the warning is suppressed by the critical in Alertmanager (got $(warning_state))" \
      test "$(warning_state)" = suppressed:1
    sleep 5  # a group_interval and more: a leaked warning would have been sent by now
    check "the warning never reached the chat receiver" bash -c "! jq -e -s '[.[] | .body.alerts[] |
      select(.labels.alertname == \"PostgresConnectionsHigh\" and .labels.severity == \"warning\")] | length > 0' \
      '$W/received.jsonl' >/dev/null"
  else
    fail "PostgresConnectionsHigh critical did not page within 60 s (ratio: $(curl -s "$PROM/api/v1/query?query=sum(pg_stat_activity_count)/pg_connections_limit" | jq -c '.data.result'))"
  fi
else
  fail "cannot hold the pool: pg_connections_limit=$pool, connections in use=$base"
fi

echo "== done in $(($SECONDS - STARTED_AT)) s"
summary "e2e"
