# Shell helpers of tests/alerts (sourced). Everything binds to 127.0.0.1; every process started
# is recorded and stopped by PID in cleanup.
THOTH_SRC=${THOTH_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
THOTH_PIDS=()
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
# check "what" command...: runs the command, counts the result; its output is shown on failure.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$what"
  else
    fail "$what"
    [ -n "$out" ] && echo "$out" | sed "s/^/     /"
  fi
  return 0
}
summary() {
  echo "$1: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# A TCP port of 127.0.0.1 that was free a moment ago.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'
}

# wait_until SECONDS command...: retries the command every 0.5 s until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.5
  done
}

# start LOGFILE command...: runs the command in the background, remembers its PID in STARTED_PID.
start() {
  local log=$1
  shift
  "$@" >>"$log" 2>&1 &
  STARTED_PID=$!
  THOTH_PIDS+=("$STARTED_PID")
}

stop_all() {
  local pid
  for pid in "${THOTH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${THOTH_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  THOTH_PIDS=()
}

# The deployed Alertmanager config with its receivers replaced by webhooks of the same names
# to URL (pager -> URL/pager, chat -> URL/chat, blackhole stays empty), and the timers shortened.
# The routing tree and the inhibition rules under test stay the deployed ones.
alertmanager_test_config() {
  local url=$1 out=$2
  sed -e '/^receivers:/,$d' \
    -e 's/^  group_wait: .*/  group_wait: 3s/' \
    -e 's/^  group_interval: .*/  group_interval: 2s/' \
    -e "s|^  - templates/\*.tmpl.*|  - $THOTH_SRC/deploy/alertmanager/templates/*.tmpl|" \
    "$THOTH_SRC/deploy/alertmanager/alertmanager.yml" >"$out"
  cat >>"$out" <<YAML
receivers:
  - name: pager
    webhook_configs: [{url: "$url/pager", send_resolved: false}]
  - name: chat
    webhook_configs: [{url: "$url/chat", send_resolved: false}]
  - name: blackhole
YAML
}
