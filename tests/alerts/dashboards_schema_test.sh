#!/usr/bin/env bash
# dashboards/*.json validate against the JSON Schema of Grafana's dashboard model, generated from
# the npm package @grafana/schema by scripts/setup.d/alerts.sh.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
here=$THOTH_SRC/tests/alerts
schema=$here/node_modules/.thoth/dashboard.schema.json
ajv=$here/node_modules/ajv-cli/dist/index.js
if [ ! -f "$schema" ] || [ ! -f "$ajv" ]; then
  fail "schema or ajv missing: run scripts/setup.d/alerts.sh"
  summary "dashboard schema"
  exit 1
fi
for f in "$THOTH_SRC"/dashboards/*.json; do
  check "schema: dashboards/$(basename "$f")" node "$ajv" validate --all-errors --errors=text \
    -s "$schema" -d "$f"
done
summary "dashboard schema"
