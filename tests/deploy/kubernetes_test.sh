#!/usr/bin/env bash
# deploy/kubernetes and the Helm chart, offline: every manifest and every rendering of the chart
# validated against the Kubernetes and Prometheus Operator schemas with strict fields
# (validate-k8s.mjs), `helm lint --strict`, and the chart's ConfigMap equal in content to what
# its values say.
source "$(dirname "$0")/lib.sh"
need node python3 "$HELM"
validate() { node "$SRC/tests/deploy/validate-k8s.mjs" "$@"; }
chart=$SRC/deploy/helm/thoth-exporter
for d in alerts dashboards; do
  [ -d "$SRC/$d" ] || fail "$d/ is missing: the chart's files/$d links to it"
done

cd "$SRC"
check "deploy/kubernetes manifests, examples and the generated PrometheusRule" bash -c '
  deploy/kubernetes/generate-prometheusrule.py -o "$1/prometheusrule.yaml" &&
  node tests/deploy/validate-k8s.mjs deploy/kubernetes/*.yaml deploy/kubernetes/examples/*.yaml \
    "$1/prometheusrule.yaml"' _ "$TMP"

# Negative controls: each of these must be caught, or the validation proves nothing.
# bad NAME SED-EXPRESSION EXPECTED: a broken copy of deployment.yaml that validation must reject
# with a finding that contains EXPECTED. All copies are validated in one run (it takes seconds).
bad_names=()
bad_expect=()
bad() {
  local n=${#bad_names[@]}
  sed "$2" deploy/kubernetes/deployment.yaml >"$TMP/bad-$n.yaml"
  if cmp -s deploy/kubernetes/deployment.yaml "$TMP/bad-$n.yaml"; then
    fail "negative control $1: the edit did not apply"
    rm "$TMP/bad-$n.yaml"
    return
  fi
  bad_names+=("$1")
  bad_expect+=("$3")
}
bad "a misspelt field" 's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/' \
  "readOnlyRootFilesytem.* does not exist in type 'ISecurityContext'"
bad "a wrong type" 's/replicas: 1/replicas: one/' "replicas must be integer"
bad "a root container" 's/runAsNonRoot: true/runAsNonRoot: false/' "runAsNonRoot is not true"
bad "privilege escalation" 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' \
  "allowPrivilegeEscalation is not false"
bad "a liveness probe off /health" \
  '0,/path: \/health/s//path: \/metrics/' "livenessProbe is not /health"
bad "missing limits" '/limits: {cpu: 500m, memory: 256Mi}/d' "no limits.cpu"
bad "an unknown kind" 's/^kind: Deployment/kind: Deploymint/' "no schema for apiVersion"
validate --no-refs "$TMP"/bad-*.yaml >"$TMP/bad.out" 2>&1
for n in "${!bad_names[@]}"; do
  if grep "$TMP/bad-$n.yaml" "$TMP/bad.out" | grep -q -- "${bad_expect[$n]}"; then
    pass "validation catches ${bad_names[$n]} (negative control)"
  else
    fail "validation misses ${bad_names[$n]}: no finding \"${bad_expect[$n]}\" for it"
    sed 's/^/    /' "$TMP/bad.out" | head -20
  fi
done
sed 's/targetPort: http-metrics/targetPort: metrics-http/' deploy/kubernetes/service.yaml \
  >"$TMP/bad-service.yaml"
check_fails "validation catches a Service port that no container has (negative control)" \
  validate "$TMP/bad-service.yaml" deploy/kubernetes/deployment.yaml deploy/kubernetes/configmap.yaml

check "helm lint --strict" "$HELM" lint --strict "$chart"
check "helm lint --strict (everything enabled)" "$HELM" lint --strict "$chart" \
  --set podMonitor.enabled=true,dashboards.enabled=true,networkPolicy.enabled=true

render() {  # render NAME HELM-ARGS...: helm template into $TMP/helm-NAME.yaml
  local name=$1
  shift
  "$HELM" template thoth "$chart" --namespace thoth "$@" >"$TMP/helm-$name.yaml" \
    2>"$TMP/helm-$name.err" || { cat "$TMP/helm-$name.err"; return 1; }
}
check "helm template (defaults)" render defaults
check "helm template (everything enabled, chart-made secret)" render all \
  --set podMonitor.enabled=true,dashboards.enabled=true,networkPolicy.enabled=true \
  --set secrets.existingSecret=,secrets.create=true \
  --set secrets.values.postgres_password=p,secrets.values.redis_password=r \
  --set secrets.values.chroma_token=t
check "helm template (monitoring objects off)" render minimal \
  --set serviceMonitor.enabled=false,prometheusRule.enabled=false
check "helm template (native TLS with client certificates)" render tls --set tls.enabled=true \
  --set serviceMonitor.tlsConfig.serverName=thoth-exporter \
  --set serviceMonitor.tlsConfig.ca.secret.name=scraper,serviceMonitor.tlsConfig.ca.secret.key=ca.crt \
  --set serviceMonitor.tlsConfig.cert.secret.name=scraper \
  --set serviceMonitor.tlsConfig.cert.secret.key=tls.crt \
  --set serviceMonitor.tlsConfig.keySecret.name=scraper,serviceMonitor.tlsConfig.keySecret.key=tls.key
check "rendered chart, defaults: schemas, strict fields, hardening" \
  validate "$TMP/helm-defaults.yaml"
# The PodMonitor selects sidecars of other workloads: validated together with the example.
check "rendered chart, everything enabled (with the sidecar example)" \
  validate "$TMP/helm-all.yaml" deploy/kubernetes/examples/sidecar.yaml
check "rendered chart, monitoring objects off" validate "$TMP/helm-minimal.yaml"
check "rendered chart, native TLS: schemas, TCP probes, https ServiceMonitor, web config" bash -c '
  node tests/deploy/validate-k8s.mjs "$1" &&
  grep -q -- "--web.config.file=/etc/thoth-exporter-web/web.yml" "$1" &&
  grep -q "client_auth_type: RequireAndVerifyClientCert" "$1" &&
  grep -q "scheme: https" "$1" && grep -q "secretName: thoth-exporter-tls" "$1"' _ "$TMP/helm-tls.yaml"

check "chart: ConfigMap holds values.config, objects present as enabled" python3 - "$TMP" "$chart" <<'PY'
import sys, yaml
tmp, chart = sys.argv[1], sys.argv[2]
values = yaml.safe_load(open(f"{chart}/values.yaml"))
def objs(name):
    return [d for d in yaml.safe_load_all(open(f"{tmp}/helm-{name}.yaml")) if d]
problems = []
for name in ("defaults", "all", "minimal"):
    docs = objs(name)
    cms = [d for d in docs if d["kind"] == "ConfigMap" and "config.yml" in d.get("data", {})]
    if len(cms) != 1:
        problems.append(f"{name}: {len(cms)} config ConfigMaps")
    elif yaml.safe_load(cms[0]["data"]["config.yml"]) != values["config"]:
        problems.append(f"{name}: ConfigMap config.yml differs from values.config")
kinds = lambda name: sorted(d["kind"] for d in objs(name))
if "PrometheusRule" not in kinds("defaults") or "ServiceMonitor" not in kinds("defaults"):
    problems.append(f"defaults lack PrometheusRule/ServiceMonitor: {kinds('defaults')}")
if "PrometheusRule" in kinds("minimal") or "ServiceMonitor" in kinds("minimal"):
    problems.append("disabled monitoring objects were rendered")
for k in ("PodMonitor", "NetworkPolicy", "Secret"):
    if k not in kinds("all"):
        problems.append(f"everything enabled lacks {k}")
import glob
dash = [d for d in objs("all") if d["kind"] == "ConfigMap" and
        d["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
want = sorted(p.rsplit("/", 1)[1] for p in glob.glob(f"{chart}/files/dashboards/*.json"))
got = sorted(k for d in dash for k in d["data"])
if got != want:
    problems.append(f"dashboard ConfigMaps {got} != dashboards/*.json {want}")
# A mounted Secret and a chart-made one agree on the name.
dep = [d for d in objs("all") if d["kind"] == "Deployment"][0]
vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
sec = [d for d in objs("all") if d["kind"] == "Secret"][0]
if vols.get("secrets", {}).get("secret", {}).get("secretName") != sec["metadata"]["name"]:
    problems.append("the Deployment does not mount the chart's Secret")
if problems:
    sys.exit("\n".join(problems))
PY
finish
