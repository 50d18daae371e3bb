#!/usr/bin/env bash
# Node tools that check alerts/, deploy/alertmanager/ and dashboards/: installed from
# tests/alerts/package-lock.json into tests/alerts/node_modules (gitignored), and the Grafana
# dashboard JSON Schema generated from @grafana/schema's TypeScript types. Idempotent: returns at
# once when the lock file is unchanged since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/../../tests/alerts"

stamp=node_modules/.thoth-setup-stamp
schema=node_modules/.thoth/dashboard.schema.json
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version 2>/dev/null || true)"
if [ -f "$stamp" ] && [ -f "$schema" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  # Debian's nodejs comes without npm (NodeSource's includes it).
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends npm
  want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
fi

echo "setup alerts: npm ci in tests/alerts"
npm ci --no-audit --no-fund --loglevel=error

# The classic dashboard model (what Grafana's JSON export and file provisioning use).
mkdir -p "$(dirname "$schema")"
node node_modules/ts-json-schema-generator/dist/ts-json-schema-generator.js \
  --path node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts \
  --type Dashboard --no-type-check --out "$schema.tmp"
mv "$schema.tmp" "$schema"
echo "$want" >"$stamp"
