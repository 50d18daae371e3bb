#!/usr/bin/env bash
# Fault soak: the exporter scraped by two clients for DURATION seconds (default 600) while its
# dependencies are stopped, frozen and restarted at random and its config reloaded.
# Every fault is confirmed from outside before it counts (docs/reliability.md, "Fault soak").
# Builds the `soak` binary in build/ (BUILD_DIR to change) and prints its summary (with the
# exporter's RSS every minute); a wrong check prints the target's changes and the exporter's
# log around it. Several runs may go at once: each starts its own servers on free ports.
# Usage: scripts/soak.sh [DURATION] (THOTH_SOAK_SEED=N replays a fault sequence; THOTH_SOAK_TLS=1
# scrapes over the exporter's native TLS)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
build=${BUILD_DIR:-build}
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target soak exporter >/dev/null
THOTH_SOAK_SECONDS=$duration "$build/bin/soak" --gtest_color=no
