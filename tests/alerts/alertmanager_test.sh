#!/usr/bin/env bash
# deploy/alertmanager: the config and templates load (amtool check-config), alerts route by
# severity and MEM code (amtool config routes test), and a real Alertmanager inhibits a warning
# by its critical, for the same target only.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cfg=$THOTH_SRC/deploy/alertmanager/alertmanager.yml
work=$(mktemp -d /tmp/thoth-am-test.XXXXXX)
trap 'stop_all; rm -rf "$work"' EXIT

check "amtool check-config" amtool check-config "$cfg"
check "templates render" bash -c "amtool template render --template.glob='$THOTH_SRC/deploy/alertmanager/templates/*.tmpl' \
  --template.text='{{ template \"thoth.title\" . }} {{ template \"thoth.text\" . }}' | grep -q 'Runbook:'"

# route RECEIVER label=value...
route() {
  local want=$1
  shift
  local out
  if out=$(amtool config routes test --config.file="$cfg" --verify.receivers="$want" "$@" 2>&1); then
    pass "route $* -> $want"
  else
    fail "route $* -> $want; amtool said: $(echo "$out" | grep -v Warning | tr "\n" " ")"
  fi
}
route pager alertname=PostgresDown severity=critical target=memory-db
route pager alertname=PostgresConnectionsHigh severity=critical target=memory-db
route chat alertname=PostgresConnectionsHigh severity=warning target=memory-db
route blackhole alertname=PostgresUnusedIndex severity=info target=memory-db
route pager alertname=MemDatabaseConnectionTimeout severity=critical code=MEM-001 source=memory-service
route pager alertname=MemVectorDimensionMismatch severity=critical code=MEM-005 source=chroma
route pager alertname=ChromaDimensionMismatch severity=critical code=MEM-005 target=vectors
# By code even if someone lowers the severity.
route pager alertname=MemDatabaseConnectionTimeout severity=warning code=MEM-001
route pager alertname=MemVectorDimensionMismatch severity=info code=MEM-005
route chat alertname=MemRateLimitExceeded severity=warning code=MEM-006
route chat alertname=MemAuthenticationFailed severity=warning code=MEM-007
route chat alertname=SomethingNew
route blackhole severity=info code=MEM-002
# Every alert of alerts/ reaches the receiver its severity asks for.
while read -r name sev code; do
  want=chat
  [ "$sev" = critical ] && want=pager
  [ "$sev" = info ] && want=blackhole
  case "$code" in MEM-001 | MEM-005) want=pager ;; esac
  labels=(alertname="$name" severity="$sev")
  [ -n "$code" ] && labels+=(code="$code")
  route "$want" "${labels[@]}"
done < <(node -e '
  const {loadAlertRules} = require(process.argv[1]);
  for (const r of loadAlertRules()) {
    const code = (r.labels.code || (/code="(MEM-00\d)"/.exec(r.expr) || [])[1] || "");
    console.log(`${r.alert} ${r.labels.severity} ${code}`);
  }' "$THOTH_SRC/tests/alerts/lib.js")

# Inhibition, on a real Alertmanager.
port=$(free_port)
alertmanager_test_config "http://127.0.0.1:9/unused" "$work/am.yml"
start "$work/am.log" prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" --cluster.listen-address=
am=http://127.0.0.1:$port
if ! wait_until 20 curl -sf "$am/-/ready"; then
  fail "alertmanager did not start"; cat "$work/am.log"; summary "alertmanager"; exit 1
fi
post_alert() {  # alertname severity target
  curl -sf -XPOST -H 'Content-Type: application/json' "$am/api/v2/alerts" -d "[{\"labels\":
    {\"alertname\":\"$1\",\"severity\":\"$2\",\"target\":\"$3\",\"job\":\"thoth-exporter\",\"instance\":\"exporter:9745\"},
    \"annotations\":{\"summary\":\"test\"}}]"
}
post_alert PostgresConnectionsHigh critical memory-db
post_alert PostgresConnectionsHigh warning memory-db
post_alert PostgresConnectionsHigh warning other-db
post_alert PostgresDown critical reports-db
post_alert ThothCollectorFailing warning reports-db
post_alert ThothCollectorFailing warning memory-db
state() {  # alertname severity target -> "active" or "suppressed:<inhibitor count>"
  curl -sf "$am/api/v2/alerts" | jq -r --arg a "$1" --arg s "$2" --arg t "$3" \
    '.[] | select(.labels.alertname==$a and .labels.severity==$s and .labels.target==$t)
         | "\(.status.state):\(.status.inhibitedBy | length)"'
}
expect_state() {
  local want=$1
  shift
  in_state() { test "$(state "$@")" = "$want"; }
  wait_until 10 in_state "$@"
  check "$* is $want" test "$(state "$@")" = "$want"
}
expect_state suppressed:1 PostgresConnectionsHigh warning memory-db
expect_state active:0 PostgresConnectionsHigh critical memory-db
expect_state active:0 PostgresConnectionsHigh warning other-db
expect_state suppressed:1 ThothCollectorFailing warning reports-db
expect_state active:0 ThothCollectorFailing warning memory-db

summary "alertmanager"
