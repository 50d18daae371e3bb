#!/usr/bin/env bash
# Every exporter config that deploy/ ships passes the built exporter's --check-config, with its
# secret files in place: the Debian package's, the image's, the compose stack's, the Kubernetes
# ConfigMaps' and the Helm chart's. And the systemd unit's reload (SIGHUP to the main process)
# reloads a running exporter, keeping it alive on a bad config.
source "$(dirname "$0")/lib.sh"
need python3 curl "$EXPORTER" "$HELM"
cd "$SRC"

# Secret files named by the configs, created in a temp dir; each config is rewritten to read
# them from there (the one change made to a shipped config).
mkdir -p "$TMP/secrets"
for s in postgres_password exporter_db_password redis_password chroma_token; do
  printf 'not-a-real-%s\n' "$s" >"$TMP/secrets/$s"
done
extract() {  # extract OUT FILE [HELM]: the config.yml of the ConfigMaps in FILE, one per OUT-N.yml
  python3 - "$@" <<'PY'
import sys, yaml
out, path = sys.argv[1], sys.argv[2]
n = 0
for d in yaml.safe_load_all(open(path)):
    if d and d.get("kind") == "ConfigMap" and "config.yml" in (d.get("data") or {}):
        n += 1
        open(f"{out}-{n}.yml", "w").write(d["data"]["config.yml"])
if n == 0:
    sys.exit(f"{path}: no ConfigMap with config.yml")
PY
}
mkdir -p "$TMP/configs"
cp deploy/debian/config.yml "$TMP/configs/debian.yml"
cp deploy/docker/config.yml "$TMP/configs/docker.yml"
cp deploy/compose/thoth-exporter.yml "$TMP/configs/compose.yml"
extract "$TMP/configs/kubernetes-configmap" deploy/kubernetes/configmap.yaml
extract "$TMP/configs/kubernetes-sidecar" deploy/kubernetes/examples/sidecar.yaml
"$HELM" template thoth deploy/helm/thoth-exporter >"$TMP/helm.yaml" 2>/dev/null
extract "$TMP/configs/helm" "$TMP/helm.yaml"
# The Debian config's commented LoadCredential lines, switched on, as an operator would.
sed 's/^    #\(password_file\|token_file\): /    \1: /' deploy/debian/config.yml \
  >"$TMP/configs/debian-credentials.yml"
if cmp -s deploy/debian/config.yml "$TMP/configs/debian-credentials.yml"; then
  fail "deploy/debian/config.yml has no commented *_file lines to switch on"
fi

for f in "$TMP"/configs/*.yml; do
  name=$(basename "$f" .yml)
  sed -i "s#/run/secrets/#$TMP/secrets/#g" "$f"
  if grep -q '/run/secrets/' "$f"; then fail "$name: /run/secrets left after rewriting"; fi
  check "--check-config: $name" env CREDENTIALS_DIRECTORY="$TMP/secrets" \
    "$EXPORTER" --check-config --config.file="$f"
done
printf 'exporter: {listen_adress: 0.0.0.0:9745}\n' >"$TMP/typo.yml"
check_fails "--check-config rejects a misspelt key (negative control)" \
  "$EXPORTER" --check-config --config.file="$TMP/typo.yml"

# ExecReload=/bin/kill -HUP $MAINPID against a running exporter.
reload_value() {
  curl -fsS "http://127.0.0.1:$EXPORTER_PORT/metrics" |
    sed -n 's/^thoth_exporter_config_last_reload_successful \(.*\)$/\1/p'
}
reload_ts() {
  curl -fsS "http://127.0.0.1:$EXPORTER_PORT/metrics" |
    sed -n 's/^thoth_exporter_config_last_reload_success_timestamp_seconds \(.*\)$/\1/p'
}
minimal_config >"$TMP/reload.yml"
if start_exporter "$TMP/reload.yml"; then
  before=$(reload_ts)
  sleep 1.1
  kill -HUP "$EXPORTER_PID"
  ts_changed() { [ "$(reload_ts)" != "$before" ] && [ "$(reload_value)" = 1 ]; }
  check "SIGHUP reloads the config (success timestamp moves)" wait_for 10 ts_changed
  echo 'bogus_section: 1' >>"$TMP/reload.yml"
  kill -HUP "$EXPORTER_PID"
  failed_reload() { [ "$(reload_value)" = 0 ]; }
  check "SIGHUP with a bad config: reload_successful 0" wait_for 10 failed_reload
  check "the exporter keeps running after a bad reload" kill -0 "$EXPORTER_PID"
  check "and keeps serving /health" curl -fsS "http://127.0.0.1:$EXPORTER_PORT/health"
fi
finish
