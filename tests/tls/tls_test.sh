#!/usr/bin/env bash
# Native TLS end to end (issue 20): the real exporter serving tls_server_config, checked with
# curl, openssl s_client and a real Prometheus scraping over https with a client certificate.
# Every certificate and key is made here, in a temporary directory, and removed at the end.
#   bash tests/tls/tls_test.sh path/to/exporter
set -u
EXPORTER=$(realpath "${1:?usage: tls_test.sh EXPORTER}")
source "$(dirname "${BASH_SOURCE[0]}")/../alerts/lib.sh"

W=$(mktemp -d /tmp/thoth-tls.XXXXXX)
cleanup() {
  stop_all
  if [ "$FAILED" -gt 0 ] || [ -n "${KEEP_TLS:-}" ]; then
    echo "--- files kept in $W; last lines of the exporter's log:"
    tail -n 20 "$W/exporter.log" 2>/dev/null
  else
    rm -rf "$W"
  fi
}
trap cleanup EXIT
die() {
  fail "$*"
  summary "tls"
  exit 1
}
for tool in openssl curl prometheus jq python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$EXPORTER" ] || die "no exporter binary at $EXPORTER"
cd "$W" || exit 1

# ---- certificates: two CAs, the server (twice, for the renewal), a client of each CA ---------
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -days 2 -subj "/CN=$1" -out "$1.crt" 2>/dev/null
}
# leaf NAME CA EXT: a certificate for NAME signed by CA.
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
ca test-ca
ca other-ca
SERVER_EXT="subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf server-one test-ca "$SERVER_EXT"
leaf server-two test-ca "$SERVER_EXT"
leaf prometheus test-ca "extendedKeyUsage=clientAuth"
leaf intruder other-ca "extendedKeyUsage=clientAuth"
[ -s server-two.crt ] && [ -s intruder.crt ] || die "openssl could not make the test certificates"
cp server-one.crt server.crt
cp server-one.key server.key
HASH=$(python3 -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' 2>/dev/null)
[[ $HASH == \$2* ]] || die "could not make a bcrypt hash"

echo 'exporter: {scrape_timeout: 5s}' >exporter.yml
ARGS=(--config.file="$W/exporter.yml" --no-collector.container --no-collector.filesystem)
cat >web.yml <<YAML
basic_auth_users:
  prometheus: '$HASH'
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: test-ca.crt
  min_version: TLS12
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
YAML

# ---- bad web configs: one clear line, exit 1 ---------------------------------------------------
# start_fails NAME EXPECTED... : the exporter refuses web-NAME.yml with exit 1, and its one
# critical line contains every EXPECTED string.
start_fails() {
  local name=$1 out rc
  shift
  out=$(timeout 20 "$EXPORTER" "${ARGS[@]}" --web.listen-address=127.0.0.1:0 \
    --web.config.file="$W/web-$name.yml" 2>&1)
  rc=$?
  if [ "$rc" -ne 1 ]; then
    fail "$name: exit code $rc, expected 1"
    echo "$out" | tail -3 | sed 's/^/     /'
    return
  fi
  local line
  line=$(echo "$out" | grep -c 'level=critical')
  if [ "$line" -ne 1 ]; then
    fail "$name: $line critical lines, expected one"
    return
  fi
  line=$(echo "$out" | grep 'level=critical')
  for want in "$@"; do
    if [[ $line != *"$want"* ]]; then
      fail "$name: the error does not say \"$want\": $line"
      return
    fi
  done
  pass "$name refused at start: ${line#*msg=}"
}
sed 's/cert_file: server.crt/cert_file: missing.crt/' web.yml >web-missing-cert.yml
start_fails missing-cert "web-missing-cert.yml:4:14:" "tls_server_config.cert_file" "missing.crt" \
  "No such file"
sed 's/key_file: server.key/key_file: server-two.key/' web.yml >web-mismatched-key.yml
start_fails mismatched-key "web-mismatched-key.yml:5:13:" "tls_server_config.key_file" \
  "is not the private key"
cp server.crt unreadable-ca.crt && chmod 000 unreadable-ca.crt
sed 's/client_ca_file: test-ca.crt/client_ca_file: unreadable-ca.crt/' web.yml >web-unreadable-ca.yml
if [ "$(id -u)" -eq 0 ]; then
  # root reads any file: an empty CA file stands for the unreadable one.
  : >unreadable-ca.crt
  start_fails unreadable-ca "web-unreadable-ca.yml:7:19:" "client_ca_file" "no PEM certificate"
else
  start_fails unreadable-ca "web-unreadable-ca.yml:7:19:" "client_ca_file" "Permission denied"
fi
sed 's/  min_version: TLS12/  min_versoin: TLS12/' web.yml >web-unknown-key.yml
start_fails unknown-key "web-unknown-key.yml:8:3:" "min_versoin"
sed 's/min_version: TLS12/min_version: TLS9/' web.yml >web-bad-version.yml
start_fails bad-version "web-bad-version.yml:8:16:" "min_version" "TLS10, TLS11, TLS12 or TLS13"
sed 's/RequireAndVerifyClientCert/NoClientCert/' web.yml >web-ca-without-auth.yml
start_fails ca-without-auth "web-ca-without-auth.yml:" "client_ca_file"

# ---- the exporter on TLS with client certificates and basic auth -----------------------------
PORT=$(free_port)
URL=https://127.0.0.1:$PORT
start "$W/exporter.log" "$EXPORTER" "${ARGS[@]}" --web.listen-address="127.0.0.1:$PORT" \
  --web.config.file="$W/web.yml"
EXPORTER_PID=$STARTED_PID
CURL=(curl -sS --max-time 10 --cacert test-ca.crt)
AS_PROM=(--cert prometheus.crt --key prometheus.key)
wait_until 15 "${CURL[@]}" "${AS_PROM[@]}" -f "$URL/health" || die "the exporter does not serve https"

status() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }
check "a client certificate and the password: /metrics 200 with the exporter's metrics" \
  bash -c "$(printf '%q ' "${CURL[@]}" "${AS_PROM[@]}") -u prometheus:s3cret -f $URL/metrics | grep -q '^thoth_exporter_build_info'"
check "basic auth still applies over TLS (no password: 401)" \
  test "$(status "${AS_PROM[@]}" "$URL/metrics")" = 401
check "/health stays open (client certificate, no password: 200)" \
  test "$(status "${AS_PROM[@]}" "$URL/health")" = 200
check "http_server_config.headers on the response" \
  bash -c "$(printf '%q ' "${CURL[@]}" "${AS_PROM[@]}") -D - -o /dev/null $URL/health | grep -qi '^X-Content-Type-Options: nosniff'"
check "curl without a client certificate is refused (no HTTP answer)" \
  test "$(status "$URL/health")" = 000
check "a client certificate of another CA is refused" \
  test "$(status --cert intruder.crt --key intruder.key "$URL/health")" = 000
check "plain HTTP on the TLS port gets no HTTP answer" \
  test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/health")" = 000
s_client() {
  echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" -CAfile "$W/test-ca.crt" \
    -cert "$W/prometheus.crt" -key "$W/prometheus.key" "${@:2}" 2>&1
}
# A completed handshake that the server did not end with an alert (TLS 1.3 reports a refused
# client certificate only after the client's side of the handshake is done).
handshake_ok() {
  local out
  out=$(s_client "$@")
  grep -q '^ *Verify return code: 0 (ok)' <<<"$out" && ! grep -q 'alert' <<<"$out"
}
refused() { ! handshake_ok "$@"; }
check "TLS 1.2 with the client certificate: handshake" handshake_ok "$PORT" -tls1_2
check "TLS 1.1 refused with min_version: TLS12" refused $PORT -tls1_1 -cipher DEFAULT@SECLEVEL=0

# ---- a real Prometheus scrapes over https ------------------------------------------------------
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
mkdir -p prom
cat >prometheus.yml <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: thoth-tls
    scheme: https
    tls_config: {ca_file: $W/test-ca.crt, cert_file: $W/prometheus.crt, key_file: $W/prometheus.key}
    basic_auth: {username: prometheus, password: s3cret}
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
  - job_name: thoth-no-client-cert
    scheme: https
    tls_config: {ca_file: $W/test-ca.crt}
    basic_auth: {username: prometheus, password: s3cret}
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
YAML
start "$W/prometheus.log" prometheus --config.file="$W/prometheus.yml" \
  --storage.tsdb.path="$W/prom" --web.listen-address="127.0.0.1:$PROM_PORT"
up_of() {
  curl -sf "$PROM/api/v1/query?query=up%7Bjob%3D%22$1%22%7D" | jq -r '.data.result[0].value[1]'
}
up_is() { test "$(up_of "$1")" = "$2"; }
scraped_series() {
  test "$(curl -sf "$PROM/api/v1/query?query=thoth_exporter_build_info" | jq -r '.data.result | length')" -ge 1
}
if wait_until 60 up_is thoth-tls 1; then
  pass "Prometheus scrapes over https with its client certificate: up == 1"
  check "the scraped series are in Prometheus" scraped_series
else
  fail "Prometheus does not scrape over https: $(curl -s "$PROM/api/v1/targets" | jq -c '[.data.activeTargets[] | {job: .labels.job, lastError}]')"
fi
check "Prometheus without a client certificate: up == 0" wait_until 30 up_is thoth-no-client-cert 0

# ---- certificate renewal without a restart ------------------------------------------------------
subject() { s_client "$PORT" | sed -n 's/^subject=.*CN *= *//p' | head -1; }
check "serving server-one" test "$(subject)" = server-one
# A renewal caught half-way: the new key is there, its certificate not yet.
cp server-two.key server.key.new && mv server.key.new server.key
check "a half-written renewal: still serving server-one" test "$(subject)" = server-one
check "... and it is logged" grep -q 'still serving the previous' exporter.log
cp server-two.crt server.crt.new && mv server.crt.new server.crt
check "the renewed certificate is served on the next connection" test "$(subject)" = server-two
sleep 2
check "Prometheus still scrapes after the renewal" up_is thoth-tls 1

# ---- reload: a bad web config is refused whole, a good one applies ------------------------------
cp web.yml web.yml.good
sed 's/  min_version: TLS12/  min_version: TLS13\n  bogus_key: 1/' web.yml.good >web.yml
kill -HUP "$EXPORTER_PID"
check "SIGHUP with a bad web config: refused and logged" \
  wait_until 10 grep -q 'web config reload failed, keeping the running one.*bogus_key' exporter.log
check "... the running config kept (TLS 1.2 still served)" handshake_ok "$PORT" -tls1_2
sed 's/  min_version: TLS12/  min_version: TLS13/' web.yml.good >web.yml
check "/-/reload with min_version: TLS13" \
  test "$(status "${AS_PROM[@]}" -u prometheus:s3cret -X POST "$URL/-/reload")" = 200
check "... TLS 1.2 is now refused" refused $PORT -tls1_2
check "... TLS 1.3 served" handshake_ok "$PORT" -tls1_3
check "the exporter is still running" kill -0 "$EXPORTER_PID"

# ---- control: TLS 1.1 and cipher suites when the config asks for them --------------------------
PORT2=$(free_port)
cat >web-legacy.yml <<YAML
tls_server_config:
  cert_file: server-one.crt
  key_file: server-one.key
  min_version: TLS11
  max_version: TLS12
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
YAML
start "$W/exporter-legacy.log" "$EXPORTER" "${ARGS[@]}" --web.listen-address="127.0.0.1:$PORT2" \
  --web.config.file="$W/web-legacy.yml"
wait_until 15 "${CURL[@]}" -f "https://127.0.0.1:$PORT2/health" || fail "the second exporter does not start"
check "min_version: TLS11 serves TLS 1.1 (so the refusal above is the setting's)" \
  handshake_ok "$PORT2" -tls1_1 -cipher DEFAULT@SECLEVEL=0
check "a listed cipher suite is served" handshake_ok "$PORT2" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
check "an unlisted cipher suite is refused" refused $PORT2 -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384
check "TLS 1.3 refused with max_version: TLS12" refused $PORT2 -tls1_3
check "NoClientCert: curl without a certificate is served" \
  test "$(status "https://127.0.0.1:$PORT2/health")" = 200

check "no private key material in the logs" bash -c "! grep -q 'PRIVATE KEY' $W/exporter.log $W/exporter-legacy.log"
summary "tls"
