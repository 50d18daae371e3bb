#!/bin/bash
# Prints the Debian packages (one a line) that provide the shared libraries BINARY links, as
# dpkg-shlibdeps computes them for a .deb: the runtime stage of the image installs exactly these.
# Usage: runtime-packages.sh BINARY
set -euo pipefail
binary=${1:?usage: runtime-packages.sh BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
# dpkg-shlibdeps wants a source package's control file to exist.
printf 'Source: thoth-exporter\n\nPackage: thoth-exporter\nArchitecture: any\n' >"$work/debian/control"
(cd "$work" && dpkg-shlibdeps -O -e"$binary") 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p' | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -v '^$' |
  grep -v '^libc6$' | sort -u
