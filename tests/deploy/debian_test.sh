#!/usr/bin/env bash
# The Debian package (deploy/debian/package.cmake, `make package`): built with CPack from the
# build tree, its contents and control data checked, installed with dpkg -i on this machine,
# run (--version, --check-config on the installed config, the installed unit verified), then
# removed and purged without leftovers. Needs root (CI runs as root).
source "$(dirname "$0")/lib.sh"
need cpack dpkg dpkg-deb python3 lintian help2man "$EXPORTER"
cd "$SRC"
[ "$(id -u)" -eq 0 ] || { fail "needs root to install the package"; finish; }
[ -f "$BUILD/CPackConfig.cmake" ] ||
  { fail "$BUILD/CPackConfig.cmake missing: include(deploy/debian/package.cmake)"; finish; }
if dpkg-query -W -f='${Status}' thoth-exporter 2>/dev/null | grep -q 'ok installed'; then
  fail "thoth-exporter is already installed on this machine: not touching it"
  finish
fi

# dpkg takes one lock for the whole machine: wait for it like apt does.
dpkg_locked() {  # dpkg_locked ARGS...: dpkg ARGS, retried while another dpkg holds the lock
  local i out
  for i in $(seq 60); do
    if out=$(dpkg "$@" 2>&1); then echo "$out"; return 0; fi
    grep -q 'lock' <<<"$out" || { echo "$out"; return 1; }
    sleep 2
  done
  echo "$out"
  return 1
}

check "cpack -G DEB" cpack -G DEB -B "$TMP/pkg" --config "$BUILD/CPackConfig.cmake"
deb=$(ls "$TMP"/pkg/thoth-exporter_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
  fail "no thoth-exporter_*.deb was written"
  finish
fi
echo "    $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$TMP/contents"
dpkg-deb -f "$deb" >"$TMP/control"
dpkg-deb -e "$deb" "$TMP/control.d"
check "contents: binary, config, default, unit, docs" python3 - "$TMP/contents" <<'PY'
import sys
have = set(open(sys.argv[1]).read().split())
want = ["/usr/bin/thoth-exporter", "/etc/thoth-exporter/config.yml", "/etc/default/thoth-exporter",
        "/usr/lib/systemd/system/thoth-exporter.service",
        "/usr/share/doc/thoth-exporter/deployment.md",
        "/usr/share/doc/thoth-exporter/examples/nginx/thoth-exporter.conf",
        "/usr/share/doc/thoth-exporter/examples/prometheus/prometheus.yml"]
missing = [w for w in want if w not in have]
if missing:
    sys.exit(f"missing: {missing}")
PY
check "contents: exactly the rule files of alerts/ and the dashboards of dashboards/" \
  python3 - "$TMP/contents" <<'PY'
import glob, os, sys, yaml
have = set(open(sys.argv[1]).read().split())
def base(prefix):
    return sorted(os.path.basename(p) for p in have if p.startswith(prefix) and not p.endswith("/"))
rules = sorted(os.path.basename(p) for p in glob.glob("alerts/*.yml") + glob.glob("alerts/*.yaml")
               if isinstance(yaml.safe_load(open(p)), dict) and "groups" in yaml.safe_load(open(p)))
dashboards = sorted(os.path.basename(p) for p in glob.glob("dashboards/*.json"))
problems = []
if base("/usr/share/thoth-exporter/alerts/") != rules:
    problems.append(f"alerts: package {base('/usr/share/thoth-exporter/alerts/')} != {rules}")
if base("/usr/share/thoth-exporter/dashboards/") != dashboards:
    problems.append(f"dashboards: package {base('/usr/share/thoth-exporter/dashboards/')} != {dashboards}")
if problems:
    sys.exit("\n".join(problems))
print(f"{len(rules)} rule files, {len(dashboards)} dashboards")
PY
check "control: Depends from dpkg-shlibdeps, conffiles, maintainer scripts" python3 - "$TMP" <<'PY'
import os, sys
tmp = sys.argv[1]
control = dict(l.split(": ", 1) for l in open(f"{tmp}/control").read().splitlines()
               if ": " in l and not l.startswith(" "))
problems = []
if control.get("Package") != "thoth-exporter":
    problems.append(f"Package: {control.get('Package')}")
deps = control.get("Depends", "")
for lib in ("libc6", "libcurl4", "libyaml-cpp0.7", "init-system-helpers"):
    if lib not in deps:
        problems.append(f"Depends lacks {lib}: {deps}")
conffiles = open(f"{tmp}/control.d/conffiles").read().split()
for c in ("/etc/thoth-exporter/config.yml", "/etc/default/thoth-exporter"):
    if c not in conffiles:
        problems.append(f"{c} is not a conffile")
for s in ("postinst", "prerm", "postrm"):
    p = f"{tmp}/control.d/{s}"
    if not os.access(p, os.X_OK):
        problems.append(f"{s} missing or not executable")
if problems:
    sys.exit("\n".join(problems))
PY

# Debian's own checker: no error and no warning (overrides, if ever needed, carry their reason).
lintian_out=$(lintian --fail-on error,warning "$deb" 2>&1)
lintian_rc=$?
lintian_out=$(grep -v 'running with root privileges' <<<"$lintian_out")
if [ "$lintian_rc" -eq 0 ] && ! grep -qE '^[EW]: ' <<<"$lintian_out"; then
  pass "lintian: no errors, no warnings"
else
  fail "lintian"; echo "$lintian_out" | sed 's/^/    /'
fi
check "the manual page is thoth-exporter(1), made from --help of this binary" bash -c \
  "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/share/man/man1/thoth-exporter.1.gz | zcat |
   grep -q '^thoth-exporter .- ' && dpkg-deb --fsys-tarfile '$deb' |
   tar -xO ./usr/share/man/man1/thoth-exporter.1.gz | zcat | grep -q -- 'check.-config'"

# Upgrade: the same tree packaged as an older version is installed first, then this one over it;
# the operator's edit of a conffile survives and the unit stays enabled.
cleanup_hooks+=("dpkg --purge thoth-exporter >/dev/null 2>&1")
check "cpack of an older version (0.0.1)" cpack -G DEB -B "$TMP/old" -D CPACK_PACKAGE_VERSION=0.0.1 \
  --config "$BUILD/CPackConfig.cmake"
old_deb=$(ls "$TMP"/old/thoth-exporter_0.0.1_*.deb 2>/dev/null | head -1)
if [ -n "$old_deb" ]; then
  check "dpkg -i the older version" dpkg_locked -i "$old_deb"
  echo "# kept across the upgrade" >>/etc/default/thoth-exporter
  check "dpkg -i upgrades to this version" dpkg_locked -i "$deb"
  check "after upgrade: dpkg -s shows this version" bash -c \
    "dpkg -s thoth-exporter | grep -qx \"Version: \$(dpkg-deb -f '$deb' Version)\""
  check "after upgrade: the edited conffile is kept" grep -q 'kept across the upgrade' /etc/default/thoth-exporter
  check "after upgrade: the unit is still enabled" \
    test -L /etc/systemd/system/multi-user.target.wants/thoth-exporter.service
  check "purge of the upgraded package before the fresh install below" dpkg_locked --purge thoth-exporter
else
  fail "no older package was written"
fi

check "dpkg -i" dpkg_locked -i "$deb"
check "thoth-exporter --version" /usr/bin/thoth-exporter --version
check "--version names the package version" bash -c \
  "/usr/bin/thoth-exporter --version | grep -q \"\$(dpkg-deb -f '$deb' Version)\""
check "thoth-exporter --check-config --config.file=/etc/thoth-exporter/config.yml" \
  /usr/bin/thoth-exporter --check-config --config.file=/etc/thoth-exporter/config.yml
check "binary is stripped" bash -c "! file -L /usr/bin/thoth-exporter | grep -q 'not stripped'"
if command -v systemd-analyze >/dev/null; then
  verify_out=$(systemd-analyze verify /usr/lib/systemd/system/thoth-exporter.service 2>&1)
  if [ $? -eq 0 ] && [ -z "$verify_out" ]; then
    pass "systemd-analyze verify on the installed unit and binary"
  else
    fail "systemd-analyze verify on the installed unit"; echo "$verify_out" | sed 's/^/    /'
  fi
fi
check "the unit is enabled (multi-user.target.wants)" \
  test -L /etc/systemd/system/multi-user.target.wants/thoth-exporter.service
check "dpkg -s: installed" bash -c "dpkg -s thoth-exporter | grep -q '^Status: install ok installed'"

# Remove keeps an edited conffile; purge takes everything.
echo "# edited by the operator" >>/etc/thoth-exporter/config.yml
check "dpkg -r" dpkg_locked -r thoth-exporter
check "after remove: binary and unit gone" bash -c \
  '! test -e /usr/bin/thoth-exporter && ! test -e /usr/lib/systemd/system/thoth-exporter.service'
check "after remove: the edited config is kept" grep -q 'edited by the operator' /etc/thoth-exporter/config.yml
check "dpkg --purge" dpkg_locked --purge thoth-exporter
leftovers() {
  local left=()
  for p in /usr/bin/thoth-exporter /etc/thoth-exporter /etc/default/thoth-exporter \
           /usr/lib/systemd/system/thoth-exporter.service /usr/share/thoth-exporter \
           /usr/share/doc/thoth-exporter /etc/systemd/system/thoth-exporter.service \
           /etc/systemd/system/multi-user.target.wants/thoth-exporter.service \
           /var/lib/thoth-exporter /var/lib/private/thoth-exporter; do
    if [ -e "$p" ] || [ -L "$p" ]; then left+=("$p"); fi
  done
  if ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep -q thoth-exporter ||
     find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
       -name '*thoth-exporter*' 2>/dev/null | grep -q .; then
    left+=("deb-systemd-helper state")
  fi
  if dpkg-query -W -f='${Status}' thoth-exporter 2>/dev/null | grep -qv 'not-installed'; then
    left+=("dpkg status: $(dpkg-query -W -f='${Status}' thoth-exporter)")
  fi
  [ ${#left[@]} -eq 0 ] || { printf '%s\n' "${left[@]}"; return 1; }
}
check "after purge: nothing left" leftovers
finish
