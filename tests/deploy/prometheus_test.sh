#!/usr/bin/env bash
# Every Prometheus config under deploy/ passes `promtool check config`; the /probe multi-target
# and sharding relabeling of deploy/prometheus/prometheus.yml produce the intended scrape URLs in
# a real Prometheus.
source "$(dirname "$0")/lib.sh"
need promtool prometheus python3 curl

cd "$SRC"
# Prometheus configs are the YAML files under deploy/ with scrape_configs (not Grafana's or
# Kubernetes' files that happen to be named prometheus.yml).
configs=$(python3 - <<'PY'
import glob, yaml
for path in sorted(glob.glob("deploy/**/*.yml", recursive=True)):
    try:
        doc = yaml.safe_load(open(path))
    except yaml.YAMLError:
        continue
    if isinstance(doc, dict) and "scrape_configs" in doc and "apiVersion" not in doc:
        print(path)
PY
)
[ -n "$configs" ] || fail "no Prometheus config found under deploy/"
# promtool wants the client certificate files a tls_config names to exist: the configs are
# checked with /etc/prometheus/tls/ pointing at a scratch folder holding those names.
mkdir -p "$TMP/prometheus-tls"
for f in $configs; do
  if grep -q kubernetes_sd_configs "$f"; then continue; fi
  for file in $(grep -oE '/etc/prometheus/tls/[A-Za-z0-9._-]+' "$f"); do
    : >"$TMP/prometheus-tls/$(basename "$file")"
  done
  sed "s|/etc/prometheus/tls/|$TMP/prometheus-tls/|g" "$f" >"$TMP/$(basename "$f").checked"
  check "promtool check config $f" promtool check config "$TMP/$(basename "$f").checked"
done

# Debian's Prometheus is built without Kubernetes discovery, so its promtool rejects
# kubernetes_sd_configs. kubernetes.yml is checked with each such block swapped for a static one
# (everything else, relabeling included, is promtool's), and the block's own keys against the
# fields Prometheus 2.x accepts.
check "promtool check config deploy/prometheus/kubernetes.yml (discovery swapped)" python3 - <<'PY'
import subprocess, sys, yaml
cfg = yaml.safe_load(open("deploy/prometheus/kubernetes.yml"))
known = {"role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata",
         "basic_auth", "authorization", "oauth2", "tls_config", "proxy_url",
         "follow_redirects", "enable_http2"}
roles = {"pod", "service", "endpoints", "endpointslice", "node", "ingress"}
n = 0
for job in cfg["scrape_configs"]:
    sd = job.pop("kubernetes_sd_configs", None)
    if sd is None:
        continue
    for block in sd:
        unknown = set(block) - known
        if unknown or block.get("role") not in roles:
            sys.exit(f"{job['job_name']}: bad kubernetes_sd_configs block {block}")
        n += 1
    job["static_configs"] = [{"targets": ["placeholder:9745"]}]
if n == 0:
    sys.exit("no kubernetes_sd_configs block found")
import tempfile
with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
    yaml.safe_dump(cfg, f)
    f.flush()
    sys.exit(subprocess.run(["promtool", "check", "config", f.name]).returncode)
PY

# The application's own /metrics (the deployment guide's `thoth` job, port 8000) is scraped by
# every shipped Prometheus configuration.
check "every Prometheus configuration scrapes the application's /metrics on 8000" python3 - \
  "$SRC/deploy/prometheus/prometheus.yml" "$SRC/deploy/prometheus/kubernetes.yml" \
  "$SRC/deploy/compose/prometheus.yml" <<'PY'
import sys, yaml
for f in sys.argv[1:]:
    jobs = {j["job_name"]: j for j in yaml.safe_load(open(f))["scrape_configs"]}
    app = jobs.get("thoth-app")
    if not app:
        sys.exit(f"{f}: no thoth-app job")
    if app.get("metrics_path", "/metrics") != "/metrics":
        sys.exit(f"{f}: thoth-app scrapes {app['metrics_path']}")
    targets = [t for g in app.get("static_configs", []) for t in g["targets"]]
    relabel = yaml.safe_dump(app.get("relabel_configs", []))
    if not (any(t.endswith(":8000") for t in targets) or '"8000"' in relabel or "'8000'" in relabel):
        sys.exit(f"{f}: thoth-app does not scrape port 8000")
PY

check "file_sd target files are lists of {targets: [host:port], labels}" python3 - <<'PY'
import glob, re, sys, yaml
files = glob.glob("deploy/prometheus/targets/*.yml")
if not files:
    sys.exit("no file_sd target file")
for path in files:
    groups = yaml.safe_load(open(path))
    if not isinstance(groups, list) or not groups:
        sys.exit(f"{path}: expected a non-empty list")
    for g in groups:
        if set(g) - {"targets", "labels"} or not g.get("targets"):
            sys.exit(f"{path}: bad group {g}")
        for t in g["targets"]:
            if not re.fullmatch(r"[A-Za-z0-9.\-]+:\d+", t):
                sys.exit(f"{path}: bad target {t}")
PY

# A negative control: promtool must reject a broken relabel config, or the checks above prove
# nothing.
printf 'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: hashmod\n' \
  >"$TMP/broken.yml"
check_fails "promtool rejects a hashmod without modulus (negative control)" \
  promtool check config "$TMP/broken.yml"

# The relabeling in a real Prometheus: the /probe and shard jobs of prometheus.yml, pointed at a
# local port, and the shard job once per shard. /api/v1/targets shows each target's final scrape
# URL whether or not anything answers there.
port=$(free_port)
prom_port=$(free_port)
python3 - "$port" >"$TMP/relabel.yml" <<'PY'
import copy, sys, yaml
port = sys.argv[1]
cfg = yaml.safe_load(open("deploy/prometheus/prometheus.yml"))
jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
out = []
probe = copy.deepcopy(jobs["thoth-probe-http"])
for r in probe["relabel_configs"]:
    if r.get("target_label") == "__address__":
        r["replacement"] = f"127.0.0.1:{port}"
out.append(probe)
for shard in ("0", "1"):
    j = copy.deepcopy(jobs["thoth-shard-postgres"])
    j["job_name"] = f"shard-{shard}"
    for g in j["static_configs"]:
        g["labels"]["exporter"] = f"127.0.0.1:{port}"
    for r in j["relabel_configs"]:
        if r.get("source_labels") == ["__tmp_shard"]:
            r["regex"] = shard
    out.append(j)
yaml.safe_dump({"global": {"scrape_interval": "1h", "scrape_timeout": "10s"},
                "scrape_configs": out}, sys.stdout)
PY
check "promtool check config of the relabeling test config" promtool check config "$TMP/relabel.yml"
prometheus --config.file="$TMP/relabel.yml" --storage.tsdb.path="$TMP/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$TMP/prometheus.log" 2>&1 &
prom_pid=$!
cleanup_hooks+=("stop_pid $prom_pid")
targets_ready() {
  curl -fsS "http://127.0.0.1:$prom_port/api/v1/targets" >"$TMP/targets.json" &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["data"]["activeTargets"] else 1)' "$TMP/targets.json"
}
if wait_for 30 targets_ready; then
  check "the /probe and sharding jobs scrape the intended URLs" python3 - "$TMP/targets.json" "$port" <<'PY'
import json, sys, urllib.parse, yaml
data = json.load(open(sys.argv[1]))["data"]["activeTargets"]
port = sys.argv[2]
cfg = yaml.safe_load(open("deploy/prometheus/prometheus.yml"))
jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
problems = []
def scrape(t):
    u = urllib.parse.urlsplit(t["scrapeUrl"])
    return u.netloc, u.path, urllib.parse.parse_qs(u.query)
# Blackbox style: every listed URL becomes ?target=URL&module=http_2xx at the exporter, and the
# instance label is the URL.
urls = [u for g in jobs["thoth-probe-http"]["static_configs"] for u in g["targets"]]
probe = [t for t in data if t["labels"]["job"] == "thoth-probe-http"]
got = {}
for t in probe:
    netloc, path, q = scrape(t)
    if netloc != f"127.0.0.1:{port}" or path != "/probe" or q.get("module") != ["http_2xx"]:
        problems.append(f"probe target scraped at {t['scrapeUrl']}")
    got[q.get("target", [""])[0]] = t["labels"]["instance"]
if sorted(got) != sorted(urls) or any(k != v for k, v in got.items()):
    problems.append(f"probe targets {got} != {urls}")
# Sharding: each configured name is scraped as ?collector=postgres&target=NAME by exactly one
# of the two shards, and the helper label is gone.
names = [n for g in jobs["thoth-shard-postgres"]["static_configs"] for n in g["targets"]]
seen = {}
for t in data:
    if not t["labels"]["job"].startswith("shard-"):
        continue
    netloc, path, q = scrape(t)
    if netloc != f"127.0.0.1:{port}" or path != "/probe" or q.get("collector") != ["postgres"]:
        problems.append(f"shard target scraped at {t['scrapeUrl']}")
    if "exporter" in t["labels"]:
        problems.append("the exporter helper label was not dropped")
    name = q.get("target", [""])[0]
    if t["labels"]["instance"] != name:
        problems.append(f"instance {t['labels']['instance']} != target {name}")
    seen.setdefault(name, []).append(t["labels"]["job"])
if sorted(seen) != sorted(names) or any(len(v) != 1 for v in seen.values()):
    problems.append(f"shards {seen} do not split {names} exactly once")
if len({j for v in seen.values() for j in v}) < 2:
    problems.append(f"all targets fell into one shard: {seen}")
if problems:
    sys.exit("\n".join(problems))
print(f"{len(probe)} probe targets, {len(seen)} sharded targets over 2 shards")
PY
else
  fail "Prometheus did not report targets within 30 s"
  sed 's/^/    /' "$TMP/prometheus.log" | tail -20
fi
finish
