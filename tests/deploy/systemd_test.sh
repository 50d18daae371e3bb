#!/usr/bin/env bash
# deploy/systemd/thoth-exporter.service: systemd-analyze verify finds nothing, the offline
# security review rates it well hardened, and it has the directives the deployment promises.
source "$(dirname "$0")/lib.sh"
need systemd-analyze python3
unit=$SRC/deploy/systemd/thoth-exporter.service

# verify checks that ExecStart's program exists: point it at the binary that was just built
# (the Debian package test verifies the installed unit with the installed binary).
mkdir -p "$TMP/unit"
sed "s#^ExecStart=/usr/bin/thoth-exporter #ExecStart=$EXPORTER #" "$unit" \
  >"$TMP/unit/thoth-exporter.service"
if grep -q "^ExecStart=$EXPORTER " "$TMP/unit/thoth-exporter.service"; then
  pass "ExecStart runs /usr/bin/thoth-exporter"
else
  fail "ExecStart does not start with /usr/bin/thoth-exporter"
fi
verify_clean() {
  local out
  out=$(systemd-analyze verify "$1" 2>&1) || { echo "$out"; return 1; }
  # Unknown keys and bad values are only warnings for verify's exit code: none is allowed.
  if [ -n "$out" ]; then echo "$out"; return 1; fi
}
check "systemd-analyze verify: no errors or warnings" verify_clean "$TMP/unit/thoth-exporter.service"

# A negative control: a misspelt directive must be reported.
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$TMP/unit/thoth-exporter.service" \
  >"$TMP/unit/typo.service"
check_fails "verify reports a misspelt directive (negative control)" verify_clean "$TMP/unit/typo.service"

exposure() {
  local out score
  out=$(systemd-analyze security --offline=true "$1" 2>&1)
  score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  echo "exposure $score"
  [ -n "$score" ] && python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)"
}
check "systemd-analyze security: exposure at most 2.0" exposure "$TMP/unit/thoth-exporter.service"
echo "    $(exposure "$TMP/unit/thoth-exporter.service")"

# What the deployment promises, read as systemd reads it (last assignment wins).
check "hardening directives" python3 - "$unit" <<'PY'
import sys
settings = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line or line[0] in "#;[" or "=" not in line:
        continue
    k, v = line.split("=", 1)
    settings.setdefault(k, []).append(v)
def last(k):
    return settings.get(k, [None])[-1]
problems = []
if last("DynamicUser") != "yes" and not last("User"):
    problems.append("neither DynamicUser=yes nor a User=")
if last("User") == "root":
    problems.append("runs as root")
want = {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
        "ProtectHome": "yes"}
for k, v in want.items():
    if last(k) != v:
        problems.append(f"{k}={last(k)}, want {v}")
families = set((last("RestrictAddressFamilies") or "").split())
if not families or families - {"AF_UNIX", "AF_INET", "AF_INET6"}:
    problems.append(f"RestrictAddressFamilies={families}")
if last("CapabilityBoundingSet") != "":
    problems.append("capabilities are not all dropped (CapabilityBoundingSet=)")
reload = last("ExecReload") or ""
if "kill" not in reload or "-HUP" not in reload or "$MAINPID" not in reload:
    problems.append(f"ExecReload={reload} does not send SIGHUP to the main process")
if "--config.file=/etc/thoth-exporter/config.yml" not in (last("ExecStart") or ""):
    problems.append("ExecStart does not read /etc/thoth-exporter/config.yml")
if problems:
    sys.exit("\n".join(problems))
PY
finish
