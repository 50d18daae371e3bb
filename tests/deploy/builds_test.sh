#!/usr/bin/env bash
# The exporter builds the way distributions and users build it: a Release build with Debian's
# hardening flags (dpkg-buildflags) and warnings as errors, so a warning that only an optimised
# build shows fails here instead of in someone's package build; and a build configured by hand
# (no THOTH_WERROR) does not turn warnings into errors. Only the exporter target is built.
source "$(dirname "$0")/lib.sh"
need cmake dpkg-buildflags readelf
cd "$SRC"

rel=$TMP/release
# hardening=+all as a package that passes lintian builds (BIND_NOW besides RELRO, PIE, fortify).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
check "configure: Release, dpkg-buildflags, THOTH_WERROR=ON" \
  env CXXFLAGS="$cxxflags" CFLAGS="$cflags" LDFLAGS="$ldflags" \
  cmake -S "$SRC" -B "$rel" -DCMAKE_BUILD_TYPE=Release -DTHOTH_WERROR=ON -DTHOTH_BUILD_TESTS=OFF \
  "${launcher[@]}"
check "build: the exporter compiles without a warning at -O2/-O3 with hardening flags" \
  cmake --build "$rel" -j "$(nproc)" --target exporter
if [ -x "$rel/bin/exporter" ]; then
  check "the Release binary runs (--version)" "$rel/bin/exporter" --version
  check "hardening: full RELRO (BIND_NOW) from dpkg-buildflags" \
    bash -c "readelf -d '$rel/bin/exporter' | grep -Eq 'BIND_NOW|FLAGS_1.*NOW'"
  check "hardening: stack protector in use" \
    bash -c "readelf -s '$rel/bin/exporter' | grep -q __stack_chk_fail"
fi
check "a build configured by hand does not make warnings errors (THOTH_WERROR defaults to OFF)" \
  bash -c "grep -q '^THOTH_WERROR:BOOL=OFF' <(cmake -S '$SRC' -B '$TMP/byhand' -DTHOTH_BUILD_TESTS=OFF >/dev/null && cat '$TMP/byhand/CMakeCache.txt')"
finish
