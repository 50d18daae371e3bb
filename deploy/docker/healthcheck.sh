#!/bin/bash
# Container health check without curl in the image: GET /health of the exporter over bash's
# /dev/tcp and exit 0 only on an HTTP 200 within the time limit.
# Usage: thoth-exporter-healthcheck [HOST:PORT]   (default $THOTH_HEALTH_ADDRESS or 127.0.0.1:9745)
# With THOTH_HEALTH_TLS=1 (the exporter serving tls_server_config, which may require client
# certificates the check does not have) it only checks that the port accepts connections.
set -u
address=${1:-${THOTH_HEALTH_ADDRESS:-127.0.0.1:9745}}
host=${address%:*}
port=${address##*:}
exec 3<>"/dev/tcp/$host/$port" || exit 1
if [ "${THOTH_HEALTH_TLS:-}" = 1 ]; then
  exec 3<&- 3>&-
  exit 0
fi
printf 'GET /health HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
status_line=""
IFS= read -r -t 4 status_line <&3 || true
exec 3<&- 3>&-
case "$status_line" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "thoth-exporter-healthcheck: $address/health answered: ${status_line:-nothing}" >&2; exit 1 ;;
esac
