#!/usr/bin/env bash
# The exporter run the way the deployment files run it: as an unprivileged user (10001, the
# image's USER), with the root filesystem read-only (a private mount namespace with / remounted
# read-only, as readOnlyRootFilesystem and ProtectSystem=strict give), no new privileges and no
# capabilities, and a small writable tmpfs for the log position file (the chart's emptyDir,
# the unit's StateDirectory). It collects from a real PostgreSQL through a role that has
# pg_monitor and nothing else (docs/collectors/postgres.md) and from a log file.
source "$(dirname "$0")/lib.sh"
PGBIN=/usr/lib/postgresql/15/bin
need unshare setpriv nsenter pgrep runuser python3 curl "$EXPORTER" "$PGBIN/initdb"
cd "$SRC"

# Everything the unprivileged exporter reads lives under $TMP (the build tree may be under a
# directory it cannot enter, as /root is).
chmod 755 "$TMP"
mkdir -p "$TMP/bin" "$TMP/logs" "$TMP/state" "$TMP/pg"
cp "$EXPORTER" "$TMP/bin/exporter"
chmod 755 "$TMP/bin/exporter"

# PostgreSQL 15 on a free port, and the documented role: LOGIN and pg_monitor only.
chown postgres "$TMP/pg"
pg_port=$(free_port)
runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U postgres >/dev/null
cat >>"$TMP/pg/data/postgresql.conf" <<EOF
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$TMP/pg'
EOF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w start >/dev/null
cleanup_hooks+=("runuser -u postgres -- $PGBIN/pg_ctl -D $TMP/pg/data -m immediate -w stop >/dev/null 2>&1")
psql_su() { psql -X -q -A -t -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
psql_su -c "CREATE ROLE monitor LOGIN IN ROLE pg_monitor" -c "CREATE TABLE notes (id int)" \
  -c "INSERT INTO notes SELECT generate_series(1, 10)" -c "ANALYZE notes"
check "the exporter's role is no superuser and may create nothing" \
  test "$(psql_su -c "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = 'monitor'")" = f
check "the exporter's role is a member of pg_monitor and of nothing else" \
  test "$(psql_su -c "SELECT string_agg(g.rolname, ',') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'monitor'")" = pg_monitor

# The memory service's log, readable by others as logs usually are.
printf 'ERROR MEM-001 database unreachable\nINFO ok\nERROR MEM-001 again\nWARN MEM-006 rate limited\n' \
  >"$TMP/logs/memory-service.log"
chmod 644 "$TMP/logs/memory-service.log"

port=$(free_port)
cat >"$TMP/config.yml" <<YAML
exporter:
  scrape_timeout: 5s
postgres:
  - name: memory-db
    dsn: "postgresql://monitor@127.0.0.1:$pg_port/postgres?sslmode=disable"
logs:
  - name: memory-service
    path: $TMP/logs/memory-service.log
    format: error_codes
    from_start: true
    state_file: $TMP/state/positions
filesystem: [/]
YAML
chmod 644 "$TMP/config.yml"

# hardened COMMAND...: runs COMMAND as 10001:10001 without privileges, on a read-only root,
# with a fresh tmpfs on $TMP/state.
hardened() {
  unshare --mount --propagation private -- sh -c '
    mount -t tmpfs -o mode=0777,size=4m tmpfs "$0/state" &&
    mount -o remount,bind,ro / &&
    exec setpriv --reuid=10001 --regid=10001 --clear-groups --no-new-privs \
      --inh-caps=-all --bounding-set=-all "$@"' "$TMP" "$@"
}

hardened "$TMP/bin/exporter" --config.file="$TMP/config.yml" --web.listen-address="127.0.0.1:$port" \
  >"$TMP/exporter.log" 2>&1 &
launcher=$!
cleanup_hooks+=("stop_pid $launcher")
if ! wait_for 15 curl -fsS "http://127.0.0.1:$port/health"; then
  fail "the hardened exporter did not answer /health within 15 s"
  sed 's/^/    /' "$TMP/exporter.log" | head -20
  finish
fi
pid=$(pgrep -f "^$TMP/bin/exporter --config.file" | head -1)
cleanup_hooks+=("stop_pid $pid")
check "the exporter runs as uid 10001" \
  sh -c "grep -E '^Uid:\s+10001\s+10001\s+10001\s+10001' /proc/$pid/status"
check "the exporter has no capabilities and no new privileges" \
  sh -c "grep -E '^CapEff:\s+0+$' /proc/$pid/status && grep -E '^CapBnd:\s+0+$' /proc/$pid/status && grep -E '^NoNewPrivs:\s+1$' /proc/$pid/status"
check "the exporter's root filesystem is read-only" \
  sh -c "awk '\$5 == \"/\" { print \$6 }' /proc/$pid/mountinfo | grep -E '^ro(,|$)'"
check "in the exporter's mount namespace, its user cannot write beside its config" \
  sh -c "nsenter --target $pid --mount setpriv --reuid=10001 --regid=10001 --clear-groups \
    touch $TMP/written 2>&1 | grep -q 'Read-only file system'"

metrics() { curl -fsS "http://127.0.0.1:$port/metrics"; }
sample() {  # sample NAME_AND_LABELS: the value of the first matching sample
  metrics | awk -v p="$1" 'index($0, p) == 1 { print $NF; exit }'
}
wait_for 15 sh -c "curl -fsS http://127.0.0.1:$port/metrics | grep -q '^thoth_memory_errors_total{code=\"MEM-001\",source=\"memory-service\"} 2'"
check "pg_up is 1 through the pg_monitor role" test "$(sample 'pg_up{target="memory-db"}')" = 1
check "the PostgreSQL collection succeeds" \
  test "$(sample 'thoth_exporter_collector_success{collector="postgres",target="memory-db"}')" = 1
check "per-table statistics are readable with pg_monitor" \
  sh -c "curl -fsS http://127.0.0.1:$port/metrics | grep -E '^pg_stat_user_tables_n_tup_ins\{.*relname=\"notes\".*\} 10$'"
check "connections are visible with pg_monitor (pool gauge present)" \
  sh -c "curl -fsS http://127.0.0.1:$port/metrics | grep -E '^pg_stat_activity_count\{'"
check "the log is read: MEM-001 counted twice" \
  test "$(sample 'thoth_memory_errors_total{code="MEM-001",source="memory-service"}')" = 2
check "the filesystem collector works unprivileged" \
  test "$(sample 'thoth_exporter_collector_success{collector="filesystem"')" = 1
check "the log position file is written on the writable tmpfs" \
  wait_for 10 grep -q memory-service.log "/proc/$pid/root$TMP/state/positions"
check "nothing failed for lack of privileges or a writable root" \
  sh -c "! grep -Ei 'read-only file system|permission denied|operation not permitted|level=error' '$TMP/exporter.log'"

# --once the same way: a health report, exit 0-2 (3 would mean it could not run).
hardened "$TMP/bin/exporter" --once --config.file="$TMP/config.yml" >"$TMP/once.txt" 2>"$TMP/once.log"
rc=$?
check "--once runs unprivileged on a read-only root (exit $rc)" test "$rc" -le 2
check "--once reports the PostgreSQL target" grep -q memory-db "$TMP/once.txt"

stop_pid "$pid"
check "the exporter exits cleanly on SIGTERM" sh -c "! grep -q 'terminate called' '$TMP/exporter.log'"
finish
