#!/usr/bin/env bash
# Installs the Debian packages the project needs (scripts/packages/*.txt) when they are missing,
# then runs every scripts/setup.d/*.sh (non-Debian set-up such as the ChromaDB test server).
# Usage: scripts/install-deps.sh [build|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

lists=(scripts/packages/build.txt)
[ "$what" = all ] && lists=(scripts/packages/*.txt)
wanted=$(grep -hv '^\s*#' "${lists[@]}" | awk 'NF{print $1}' | sort -u)

missing=()
for p in $wanted; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$what" = all ]; then
  for s in scripts/setup.d/*.sh; do
    [ -e "$s" ] || continue
    bash "$s"
  done
fi
