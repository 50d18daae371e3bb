#!/usr/bin/env bash
# Every compose file under deploy/compose passes `docker-compose config` (Debian's 1.29 validates
# offline, no engine needed), and the resolved stack keeps its promises: the exporter as a
# sidecar with Docker secrets for every secret file its config names, internal networks,
# read-only root filesystems, no new privileges, resource limits, no published exporter port,
# and every bind-mounted file of the repository present.
source "$(dirname "$0")/lib.sh"
need docker-compose python3

cd "$SRC/deploy/compose"
files=$(ls docker-compose*.yml 2>/dev/null)
[ -n "$files" ] || fail "no compose file in deploy/compose"
for f in $files; do
  if docker-compose -f "$f" config >"$TMP/$f.resolved" 2>"$TMP/$f.err"; then
    pass "docker-compose config $f"
  else
    fail "docker-compose config $f"
    sed 's/^/    /' "$TMP/$f.err"
    continue
  fi
  check "$f: services are hardened and limited" python3 - "$TMP/$f.resolved" "$SRC" <<'PY'
import os, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
src = sys.argv[2]
problems = []
for name, s in cfg["services"].items():
    if s.get("read_only") is not True:
        problems.append(f"{name}: root filesystem is not read-only")
    if "no-new-privileges:true" not in (s.get("security_opt") or []):
        problems.append(f"{name}: no-new-privileges is not set")
    limits = (s.get("deploy") or {}).get("resources", {}).get("limits", {})
    if "memory" not in limits or "cpus" not in limits:
        problems.append(f"{name}: no cpu/memory limits")
    for v in s.get("volumes") or []:
        source = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        # Files of the repository must exist; secrets/ and tls/ are the operator's.
        if source.startswith(src + "/") and "/deploy/compose/secrets/" not in source \
                and "/deploy/compose/tls" not in source and not os.path.exists(source):
            problems.append(f"{name}: bind source {source} does not exist")
for name, n in (cfg.get("networks") or {}).items():
    if name in ("backend", "monitoring") and n.get("internal") is not True:
        problems.append(f"network {name} is not internal")
for name, sec in (cfg.get("secrets") or {}).items():
    if "/deploy/compose/secrets/" not in sec.get("file", ""):
        problems.append(f"secret {name} is not a file under deploy/compose/secrets")
if problems:
    sys.exit("\n".join(problems))
PY
  check "$f: thoth-exporter is a non-root sidecar with the secrets its config names" \
    python3 - "$TMP/$f.resolved" "$SRC" <<'PY'
import re, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
src = sys.argv[2]
problems = []
s = cfg["services"].get("thoth-exporter")
if s is None:
    sys.exit("no thoth-exporter service")
if s.get("ports"):
    problems.append(f"the exporter publishes ports {s['ports']}: it is reached inside only")
user = str(s.get("user", ""))
if not user or user.split(":")[0] in ("0", "root"):
    problems.append(f"user {user!r} is not a non-root uid")
if "ALL" not in (s.get("cap_drop") or []):
    problems.append("capabilities are not dropped")
# The config file it mounts, and the /run/secrets files that config reads.
config = None
for v in s.get("volumes") or []:
    parts = v.split(":") if isinstance(v, str) else [v.get("source"), v.get("target")]
    if len(parts) >= 2 and parts[1] == "/etc/thoth-exporter/config.yml":
        config = parts[0]
if not config:
    problems.append("no config mounted at /etc/thoth-exporter/config.yml")
else:
    wanted = set(re.findall(r"/run/secrets/([A-Za-z0-9_.-]+)", open(config).read()))
    have = set()
    for sec in s.get("secrets") or []:
        have.add(sec if isinstance(sec, str) else sec.get("target") or sec.get("source"))
    if wanted - have:
        problems.append(f"config reads /run/secrets/{sorted(wanted - have)} but they are not "
                        "given to the service")
    if not wanted:
        problems.append("the config reads no secret from /run/secrets")
nets = s.get("networks") or {}
if "monitoring" not in nets:
    problems.append("the exporter is not on the monitoring network")
args = " ".join(s.get("command") or [])
if "--config.file=/etc/thoth-exporter/config.yml" not in args:
    problems.append("command does not name the mounted config")
if problems:
    sys.exit("\n".join(problems))
PY
done

# The full stack has every part of the layout, and Prometheus there scrapes the sidecar.
check "docker-compose.yml: the stack's services are all there" python3 - \
  "$TMP/docker-compose.yml.resolved" <<'PY'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
# The manuals' service names.
want = {"letta-postgres", "redis", "chromadb", "nginx", "letta-memory", "thoth-api", "thoth-mcp",
        "thoth-discovery", "thoth-agent", "thoth-exporter", "prometheus", "alertmanager",
        "grafana"}
missing = want - set(cfg["services"])
if missing:
    sys.exit(f"missing services: {sorted(missing)}")
nginx_ports = cfg["services"]["nginx"].get("ports") or []
published = [n for n, s in cfg["services"].items() if s.get("ports") and n != "nginx"]
if published:
    sys.exit(f"only nginx publishes ports, not {published}")
PY
check "deploy/compose/prometheus.yml scrapes thoth-exporter:9745" \
  grep -q 'thoth-exporter:9745' "$SRC/deploy/compose/prometheus.yml"
check "deploy/compose/prometheus.yml scrapes the application's /metrics (thoth-api:8000)" \
  grep -q 'thoth-api:8000' "$SRC/deploy/compose/prometheus.yml"

# nginx -t on what the compose stack's nginx loads (stack.conf, the exporter upstream and
# deploy/nginx/thoth-exporter.conf, as conf.d does), with throw-away certificates. nginx resolves
# upstream names at load time: a private mount namespace gives it an /etc/hosts with the stack's
# service names, and a scratch /var/log/nginx for the access log stack.conf names.
need nginx openssl unshare
ngx=$TMP/ngx
mkdir -p "$ngx/conf/tls" "$ngx/log"
for c in stack thoth-exporter; do
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
    -keyout "$ngx/conf/tls/$c.key" -out "$ngx/conf/tls/$c.crt" 2>/dev/null
done
# nginx's client certificate for the exporter's native TLS (upstream.conf, tls/README.md).
mkdir -p "$ngx/conf/tls/scraper"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=prometheus" \
  -keyout "$ngx/conf/tls/scraper/client.key" -out "$ngx/conf/tls/scraper/client.crt" 2>/dev/null
cp "$ngx/conf/tls/scraper/client.crt" "$ngx/conf/tls/scraper/ca.crt"
printf 'prometheus:%s\n' "$(openssl passwd -apr1 test)" >"$ngx/conf/thoth-exporter.htpasswd"
cp nginx/stack.conf nginx/upstream.conf "$SRC/deploy/nginx/thoth-exporter.conf" "$ngx/conf/"
printf '127.0.0.1 localhost thoth-api grafana thoth-exporter\n' >"$ngx/hosts"
cat >"$ngx/conf/nginx.conf" <<NGINX
pid $ngx/nginx.pid;
error_log $ngx/log/error.log;
events {}
http {
    include upstream.conf;
    include stack.conf;
    include thoth-exporter.conf;
}
NGINX
check "nginx -t on the compose stack's nginx configuration" unshare --mount --fork bash -c '
  mkdir -p /var/log/nginx &&
  mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/log" /var/log/nginx &&
  nginx -t -p "$1/conf" -c "$1/conf/nginx.conf"' _ "$ngx"

# A negative control: an invalid key must make docker-compose fail.
printf 'services:\n  x:\n    image: busybox\n    read_only: maybe\n' >"$TMP/bad.yml"
check_fails "docker-compose config rejects an invalid value (negative control)" \
  docker-compose -f "$TMP/bad.yml" config -q
finish
