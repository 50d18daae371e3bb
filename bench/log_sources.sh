#!/usr/bin/env bash
# The logs collector's Docker json-file and journal sources catching up, beside the file tailer's
# `log x10M` case: lines per second reading BENCH_SOURCE_LINES (1,000,000) entries on one core,
# lines per CPU second and peak RSS; for the journal, `journalctl -D DIR -o cat > /dev/null` on
# the same files is the floor (sd-journal's own read speed).
#
#   bench/log_sources.sh [RESULTS_JSONL]     (also run by bench/run.sh as case `logsources`)
#
# Appends one "catchup" record per source to RESULTS_JSONL (default: printed). Everything runs in
# a temporary directory on 127.0.0.1, pinned with taskset to core BENCH_CORE (0), and every
# process started here is stopped by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
EXPORTER=${EXPORTER:-$ROOT/build/bin/exporter}
LINES=${BENCH_SOURCE_LINES:-1000000}
CORE=${BENCH_CORE:-0}
OUT=${1:-/dev/stdout}
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote
WORK=$(mktemp -d /tmp/thoth-bench-sources.XXXXXX)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
metric() {
  curl -fs --noproxy '*' "$1" | awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { printf "%.0f\n", s }'
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# start_exporter CONFIG_TEXT: sets PID and URL.
start_exporter() {
  local port
  port=$(free_port)
  printf '%s\n' "$1" >"$WORK/config.yml"
  taskset -c "$CORE" "$EXPORTER" --config.file="$WORK/config.yml" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn \
    --no-collector.filesystem --no-collector.container >"$WORK/exporter.log" 2>&1 &
  PID=$!
  URL="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -fs -o /dev/null --noproxy '*' "$URL/health" && return 0; sleep 0.1; done
  log "exporter not ready"; cat "$WORK/exporter.log" >&2; exit 1
}
stop_exporter() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}
# catch_up [COMMAND...]: runs COMMAND (in the background) at t0, then waits until the exporter
# counted LINES lines (at most 300 s); prints the result object.
catch_up() {
  local t0 cpu0 lines=0 now elapsed cpu hwm
  # With T0 set (the exporter's start), the clock and the CPU count from the start.
  t0=${T0:-$(date +%s.%N)}
  cpu0=0
  [ -z "${T0:-}" ] && cpu0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  [ $# -gt 0 ] && "$@" &
  while :; do
    lines=$(metric "$URL/metrics" 'thoth_log_lines_total{log="src"}' || echo 0)
    now=$(date +%s.%N)
    elapsed=$(awk -v a="$t0" -v b="$now" 'BEGIN {printf "%.3f", b - a}')
    [ "${lines:-0}" -ge "$LINES" ] && break
    awk -v e="$elapsed" 'BEGIN {exit !(e > 300)}' && break
    sleep 0.1
  done
  cpu=$(awk -v t="$(getconf CLK_TCK)" -v c0="$cpu0" '{print ($14 + $15 - c0) / t}' "/proc/$PID/stat")
  hwm=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$PID/status")
  rss=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$PID/status")
  # sd-journal maps the journal files: their pages count in RSS but are the page cache's, shared
  # and reclaimable. RssAnon is the memory the exporter itself holds.
  anon=$(awk '/RssAnon/ {print $2 / 1024}' "/proc/$PID/status")
  wait $! 2>/dev/null || true
  echo "{\"lines\": ${lines:-0}, \"seconds\": $elapsed, \"cpu_seconds\": $cpu, \"peak_rss_mib\": $hwm, \"rss_mib\": $rss, \"rss_anon_mib\": $anon}"
}

[ -x "$EXPORTER" ] || { log "no exporter binary at $EXPORTER"; exit 1; }

# --- Docker json-file -------------------------------------------------------------------------
ID=$(printf 'a%.0s' $(seq 64))
mkdir -p "$WORK/containers/$ID"
printf '{"ID":"%s","Name":"/letta-memory","State":{"Running":true}}' "$ID" \
  >"$WORK/containers/$ID/config.v2.json"
log "json-file: writing $LINES records"
python3 - "$LINES" "$WORK/big-json.log" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        msg = f"2026-12-07 10:00:00,{i % 1000:03d} INFO memory_service request {i} handled in 12 ms"
        if i % 10 == 0:
            msg = f"2026-12-07 10:00:00,{i % 1000:03d} ERROR MEM-001 database unreachable \\\"pg\\\" retry {i}"
        stream = "stderr" if i % 10 == 0 else "stdout"
        f.write('{"log":"%s\\n","stream":"%s","time":"2026-12-07T10:00:00.%09dZ"}\n' % (msg, stream, i))
PY
cat "$WORK/big-json.log" >/dev/null  # page cache
LIVE=$WORK/containers/$ID/$ID-json.log
: >"$LIVE"
load=$(loadavg)
start_exporter "logs: [{name: src, format: error_codes, docker: {container: letta-memory, log_dir: \"$WORK/containers\", socket: \"\"}}]"
sleep 0.5  # the container found and its empty file followed
json_res=$(catch_up sh -c "cat '$WORK/big-json.log' >>'$LIVE'")
stop_exporter
printf '{"kind": "catchup", "case": "docker json-file x%d", "peer_name": "no peer", "load": "%s", "ours": %s, "peer": null}\n' \
  "$LINES" "$load" "$json_res" >>"$OUT"
log "json-file: $json_res"
rm -f "$WORK/big-json.log" "$LIVE"

# --- systemd journal --------------------------------------------------------------------------
if [ -x "$JOURNAL_REMOTE" ]; then
  mkdir -p "$WORK/journal"
  log "journal: writing $LINES entries with systemd-journal-remote"
  python3 - "$LINES" <<'PY' | "$JOURNAL_REMOTE" --output="$WORK/journal/bench.journal" - 2>/dev/null
import sys, time
n = int(sys.argv[1])
t0 = int(time.time() * 1e6) - n
out = sys.stdout
for i in range(n):
    msg = f"INFO memory_service request {i} handled in 12 ms"
    if i % 10 == 0:
        msg = f"ERROR MEM-001 database unreachable retry {i}"
    out.write(f"__REALTIME_TIMESTAMP={t0 + i}\n_SYSTEMD_UNIT=memory-service.service\n"
              f"_TRANSPORT=stdout\nPRIORITY=6\nMESSAGE={msg}\n\n")
PY
  du -sh "$WORK/journal" >&2
  cat "$WORK/journal"/* >/dev/null
  # The floor: journalctl printing the same messages.
  jc=$( { /usr/bin/time -f '%e %U %S %M' taskset -c "$CORE" journalctl -D "$WORK/journal" \
      -o cat >/dev/null; } 2>&1 | tail -1)
  read -r jwall juser jsys jmax <<<"$jc"
  peer=$(awk -v n="$LINES" -v w="$jwall" -v u="$juser" -v s="$jsys" -v m="$jmax" \
    'BEGIN {printf "{\"lines\": %d, \"seconds\": %s, \"cpu_seconds\": %.3f, \"peak_rss_mib\": %.1f}", n, w, u + s, m / 1024}')
  load=$(loadavg)
  # Timed from the exporter's start: it reads the journal from its first entry at once.
  T0=$(date +%s.%N)
  start_exporter "logs: [{name: src, format: error_codes, from_start: true, journal: {unit: memory-service.service, directory: \"$WORK/journal\"}}]"
  journal_res=$(T0=$T0 catch_up)
  stop_exporter
  printf '{"kind": "catchup", "case": "journal x%d", "peer_name": "journalctl -o cat", "load": "%s", "ours": %s, "peer": %s}\n' \
    "$LINES" "$load" "$journal_res" "$peer" >>"$OUT"
  log "journal: $journal_res; journalctl: $peer"
else
  log "journal: $JOURNAL_REMOTE missing (systemd-journal-remote); skipped"
fi
