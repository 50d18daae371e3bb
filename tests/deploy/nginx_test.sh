#!/usr/bin/env bash
# A real nginx with deploy/nginx/thoth-exporter.conf, a self-signed certificate and a basic-auth
# user, in front of a running exporter: /metrics over HTTPS answers 401 without or with wrong
# credentials and 200 with the metrics with them; /health stays open; /-/reload and other paths
# are not served; plain HTTP on the TLS port gets no metrics.
source "$(dirname "$0")/lib.sh"
need nginx openssl curl python3 "$EXPORTER"
cd "$SRC"

# nginx runs its workers as nobody: the files they read at request time must be readable.
chmod 755 "$TMP"
conf=$TMP/nginx
mkdir -p "$conf/tls" "$conf/logs" "$conf/temp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$conf/tls/thoth-exporter.key" -out "$conf/tls/thoth-exporter.crt" 2>/dev/null
check "self-signed certificate made" test -s "$conf/tls/thoth-exporter.crt"
password=$(openssl rand -hex 12)
printf 'prometheus:%s\n' "$(openssl passwd -apr1 "$password")" >"$conf/thoth-exporter.htpasswd"
chmod 644 "$conf/thoth-exporter.htpasswd"

minimal_config >"$TMP/config.yml"
start_exporter "$TMP/config.yml" || finish

# The shipped server block, unchanged but for its listen port; the upstream names the exporter's
# test port as upstream-local.conf names 9745.
tls_port=$(free_port)
sed "s/listen 9443 ssl/listen 127.0.0.1:$tls_port ssl/" deploy/nginx/thoth-exporter.conf \
  >"$conf/thoth-exporter.conf"
check "the server block listens on 9443 (one line changed for the test)" \
  test "$(diff deploy/nginx/thoth-exporter.conf "$conf/thoth-exporter.conf" | grep -c '^>')" = 1
sed "s/127.0.0.1:9745/127.0.0.1:$EXPORTER_PORT/" deploy/nginx/upstream-local.conf \
  >"$conf/upstream-local.conf"
cat >"$conf/nginx.conf" <<NGINX
worker_processes 1;
pid $conf/nginx.pid;
error_log $conf/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log $conf/logs/access.log;
    client_body_temp_path $conf/temp/body;
    proxy_temp_path $conf/temp/proxy;
    fastcgi_temp_path $conf/temp/fastcgi;
    uwsgi_temp_path $conf/temp/uwsgi;
    scgi_temp_path $conf/temp/scgi;
    include upstream-local.conf;
    include thoth-exporter.conf;
}
NGINX
check "nginx -t accepts the configuration" nginx -t -p "$conf" -c "$conf/nginx.conf"
nginx -p "$conf" -c "$conf/nginx.conf" -g 'daemon off;' >"$TMP/nginx.out" 2>&1 &
nginx_pid=$!
cleanup_hooks+=("stop_pid $nginx_pid")
base=https://localhost:$tls_port
tls=(--cacert "$conf/tls/thoth-exporter.crt" --resolve "localhost:$tls_port:127.0.0.1")
if ! wait_for 10 curl -s "${tls[@]}" -o /dev/null "$base/health"; then
  fail "nginx did not answer within 10 s"
  sed 's/^/    /' "$TMP/nginx.out" "$conf/logs/error.log" 2>/dev/null | tail -20
  finish
fi

status() { curl -s -o "$TMP/body" -w '%{http_code}' --max-time 20 "${tls[@]}" "$@"; }
expect() {  # expect WHAT CODE CURL-ARGS...
  local what=$1 want=$2 got
  shift 2
  got=$(status "$@")
  if [ "$got" = "$want" ]; then pass "$what: $want"; else fail "$what: got $got, want $want"; fi
}
expect "GET /metrics without credentials" 401 "$base/metrics"
expect "GET /metrics with a wrong password" 401 -u "prometheus:wrong" "$base/metrics"
expect "GET /metrics as an unknown user" 401 -u "grafana:$password" "$base/metrics"
expect "GET /metrics with the credentials" 200 -u "prometheus:$password" "$base/metrics"
check "the metrics arrived through nginx" grep -q '^thoth_exporter_build_info{' "$TMP/body"
check "with the exporter's own self metrics" grep -q '^thoth_exporter_scrape_duration_seconds' "$TMP/body"
expect "gzip is passed through" 200 -u "prometheus:$password" --compressed "$base/metrics"
check "and decoded to the same metrics" grep -q '^thoth_exporter_build_info{' "$TMP/body"
expect "GET /probe without credentials" 401 "$base/probe?collector=filesystem&target=filesystem"
expect "GET /health stays open" 200 "$base/health"
check "/health says ok" grep -qx 'ok' "$TMP/body"
expect "POST /-/reload is not served through nginx" 404 -X POST -u "prometheus:$password" "$base/-/reload"
expect "GET / is not served" 404 -u "prometheus:$password" "$base/"
expect "GET /metricsX is not served" 404 -u "prometheus:$password" "$base/metricsX"
check "HSTS header on answers" bash -c "curl -sI ${tls[*]} '$base/health' | grep -qi '^strict-transport-security'"
# TLS really is in the way: the certificate verifies, and plain HTTP gets no metrics.
check "the certificate verifies for localhost" \
  curl -fsS "${tls[@]}" -o /dev/null "$base/health"
plain=$(curl -s -o "$TMP/plain" -w '%{http_code}' -u "prometheus:$password" \
  "http://127.0.0.1:$tls_port/metrics")
if [ "$plain" = 400 ] && ! grep -q thoth_exporter "$TMP/plain"; then
  pass "plain HTTP on the TLS port is refused (400)"
else
  fail "plain HTTP on the TLS port answered $plain"
fi
finish
