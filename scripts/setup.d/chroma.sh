#!/usr/bin/env bash
# Installs the ChromaDB 1.x test server (the Rust server inside the npm package's native binding)
# into .chroma/ of the source tree, for tests/integration/chroma. Idempotent: a second run with
# everything in place only checks and returns.
#
# The binding is built against glibc 2.39 but needs only two weak symbols of GLIBC_2.39
# (pidfd_getpid, pidfd_spawnp); Debian 12 has glibc 2.36, and the dynamic loader refuses a
# missing symbol version unless it is marked weak. So the installed copy of the .node file gets
# VER_FLG_WEAK (0x2) set on its GLIBC_2.39 entry of .gnu.version_r; the pristine file is kept
# next to it as *.orig.
set -euo pipefail
cd "$(dirname "$0")/../.."

readonly CHROMADB_VERSION=3.4.0
readonly BINDINGS_VERSION=1.3.1
readonly dir=.chroma
readonly stamp="$dir/installed-$CHROMADB_VERSION-$BINDINGS_VERSION"
readonly node_file="$dir/node_modules/chromadb-js-bindings-linux-x64-gnu/chromadb-js-bindings.linux-x64-gnu.node"

if [ "$(uname -m)" != x86_64 ]; then
  echo "setup chroma: only x86_64 is supported (the test server binding is linux-x64-gnu)" >&2
  exit 1
fi

if [ -f "$stamp" ] && [ -f "$node_file" ] && [ -f "$dir/node_modules/chromadb/dist/cli.mjs" ]; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "setup chroma: installing Debian's npm"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends npm
fi

mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
echo "setup chroma: npm install chromadb@$CHROMADB_VERSION (test server)"
# engine-strict off: chromadb asks for node >= 20, but its CLI only loads the native binding,
# which works on Debian 12's node 18.
(cd "$dir" && npm install --no-audit --no-fund --no-save --ignore-scripts --engine-strict=false \
  "chromadb@$CHROMADB_VERSION" "chromadb-js-bindings-linux-x64-gnu@$BINDINGS_VERSION" >/dev/null)

[ -f "$node_file.orig" ] || cp "$node_file" "$node_file.orig"
cp "$node_file.orig" "$node_file.tmp"

# Marks the GLIBC_2.39 version need weak, in place. ELF64 little-endian only.
perl -e '
  use strict; use warnings;
  my ($path, $want) = @ARGV;
  open(my $fh, "+<:raw", $path) or die "open $path: $!\n";
  local $/; my $elf = <$fh>;
  die "$path: not an ELF64 little-endian file\n"
    unless substr($elf, 0, 4) eq "\x7fELF" && ord(substr($elf, 4, 1)) == 2
        && ord(substr($elf, 5, 1)) == 1;
  my ($shoff) = unpack("Q<", substr($elf, 0x28, 8));
  my ($shentsize, $shnum) = unpack("v v", substr($elf, 0x3a, 4));
  my @sh;
  for my $i (0 .. $shnum - 1) {
    my ($name, $type, $flags, $addr, $off, $size, $link, $info) =
      unpack("V V Q< Q< Q< Q< V V", substr($elf, $shoff + $i * $shentsize, 48));
    push @sh, {type => $type, off => $off, size => $size, link => $link, info => $info};
  }
  my $done = 0;
  for my $s (@sh) {
    next unless $s->{type} == 0x6ffffffe;  # SHT_GNU_verneed
    my $strtab = $sh[$s->{link}]{off};
    my $vn = $s->{off};
    for (1 .. $s->{info}) {
      my ($ver, $cnt, $file, $aux, $next) = unpack("v v V V V", substr($elf, $vn, 16));
      my $va = $vn + $aux;
      for (1 .. $cnt) {
        my ($hash, $flags, $other, $name, $vnext) = unpack("V v v V V", substr($elf, $va, 16));
        my $end = index($elf, "\0", $strtab + $name);
        if (substr($elf, $strtab + $name, $end - $strtab - $name) eq $want) {
          seek($fh, $va + 4, 0); print $fh pack("v", $flags | 0x2); $done++;
        }
        $va += $vnext;
      }
      last unless $next;
      $vn += $next;
    }
  }
  close($fh) or die "close $path: $!\n";
  die "$path: no $want version need found\n" unless $done;
' "$node_file.tmp" GLIBC_2.39
mv "$node_file.tmp" "$node_file"

# The binding must load now, or the tests would fail later with a less clear message.
(cd "$dir" && node -e 'require("chromadb-js-bindings-linux-x64-gnu")') || {
  echo "setup chroma: the patched binding does not load" >&2
  exit 1
}
touch "$stamp"
echo "setup chroma: ready in $dir"
