#!/usr/bin/env bash
# deploy/docker, without a Docker engine (none runs here or in CI): the runtime stage's package
# list covers exactly the shared libraries the built binary links, the Dockerfile keeps its
# promises (same install/build steps as CI, non-root numeric user, HEALTHCHECK, config and
# secrets paths), its COPY sources survive the .dockerignore, and the health-check script judges
# a real exporter correctly.
source "$(dirname "$0")/lib.sh"
need python3 objdump dpkg-shlibdeps curl
cd "$SRC"
df=deploy/docker/Dockerfile

deploy/docker/runtime-packages.sh "$EXPORTER" >"$TMP/packages.txt" 2>"$TMP/packages.err" ||
  { cat "$TMP/packages.err"; }
check "runtime-packages.sh lists packages for the binary" test -s "$TMP/packages.txt"
echo "    runtime packages: $(tr '\n' ' ' <"$TMP/packages.txt")"
# Complete and minimal: every library the binary itself needs (DT_NEEDED) is provided by a listed
# package (or libc6, in every Debian image), and every listed package provides one of them.
check "the package list matches the binary's NEEDED libraries" python3 - "$EXPORTER" "$TMP/packages.txt" <<'PY'
import re, subprocess, sys
binary, listed = sys.argv[1], set(open(sys.argv[2]).read().split())
needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", binary],
                    capture_output=True, text=True, check=True).stdout)
ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
owners = {}
problems = []
for lib in needed:
    path = paths.get(lib)
    if not path:
        problems.append(f"{lib} not resolved by ldd")
        continue
    # usrmerge: dpkg may know the file as /lib/... or /usr/lib/..., whichever ldd printed.
    for candidate in (path, "/usr" + path if path.startswith("/lib/") else
                      path.replace("/usr/lib/", "/lib/", 1)):
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            break
    if out.returncode:
        problems.append(f"{lib} ({path}) belongs to no package")
        continue
    owners[lib] = out.stdout.split(":")[0]
# A listed name may be virtual (libspdlog1.10-fmt9 is provided by libspdlog1.10): apt installs
# its one provider.
provides = {}
for line in subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Provides}\n"],
                           capture_output=True, text=True, check=True).stdout.splitlines():
    pkg, _, prov = line.partition("\t")
    for p in prov.split(","):
        if p.strip():
            provides.setdefault(p.split()[0].split(":")[0], pkg.split(":")[0])
listed = {provides.get(p, p) if p not in owners.values() else p for p in listed}
for lib, pkg in owners.items():
    if pkg != "libc6" and pkg not in listed:
        problems.append(f"{lib} comes from {pkg}, which the image would not install")
extra = listed - set(owners.values())
if extra:
    problems.append(f"listed but providing no NEEDED library: {sorted(extra)}")
if problems:
    sys.exit("\n".join(problems))
print(f"{len(needed)} NEEDED libraries from {len(set(owners.values()))} packages")
PY

check "Dockerfile keeps its promises" python3 - "$df" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# Join continuation lines, drop comments.
lines = [l for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.lstrip().startswith("#")]
stages, cur = [], None
for l in lines:
    word = l.split()[0].upper()
    if word == "FROM":
        cur = {"from": l, "lines": []}
        stages.append(cur)
    elif cur is not None:
        cur["lines"].append(l)
problems = []
if len(stages) < 2:
    problems.append("not multi-stage")
else:
    build, runtime = stages[0], stages[-1]
    if "debian:12" not in text:
        problems.append("not based on Debian 12")
    b = "\n".join(build["lines"])
    if "scripts/install-deps.sh build" not in b:
        problems.append("the build stage does not run scripts/install-deps.sh build")
    if not re.search(r"cmake -S \. -B build", b) or "cmake --build build" not in b:
        problems.append("the build stage does not build with CMake as the Makefile does")
    r = "\n".join(runtime["lines"])
    if "build-essential" in r or "cmake" in r:
        problems.append("the runtime stage installs build tools")
    user = re.findall(r"^USER\s+(\S+)", r, re.M)
    if not user or not re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user[-1]):
        problems.append(f"USER {user} is not a numeric non-root uid")
    if not re.search(r"^HEALTHCHECK .*CMD .*thoth-exporter-healthcheck", r, re.M):
        problems.append("no HEALTHCHECK running the health-check script")
    if "/etc/thoth-exporter/config.yml" not in r:
        problems.append("no config at /etc/thoth-exporter/config.yml")
    if "/run/secrets" not in r:
        problems.append("/run/secrets is not prepared")
    if not re.search(r'^ENTRYPOINT \["/usr/bin/thoth-exporter"\]', r, re.M):
        problems.append("ENTRYPOINT is not /usr/bin/thoth-exporter")
if problems:
    sys.exit("\n".join(problems))
PY

# Every COPY source of the build context exists and is not excluded by the .dockerignore.
check "COPY sources exist and survive Dockerfile.dockerignore" python3 - "$df" deploy/docker/Dockerfile.dockerignore <<'PY'
import fnmatch, os, re, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
ignore = [l.strip().rstrip("/") for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
def ignored(path):
    parts = path.strip("/").split("/")
    for pat in ignore:
        pat = pat.lstrip("/")
        for i in range(len(parts)):
            prefix = "/".join(parts[: i + 1])
            if fnmatch.fnmatch(prefix, pat) or (pat.startswith("**/") and
                                                 fnmatch.fnmatch(parts[i], pat[3:])):
                return True
    return False
problems = []
for m in re.finditer(r"^COPY (?!--from)(.*)$", text, re.M):
    srcs = m.group(1).split()[:-1]
    for s in srcs:
        if s == ".":
            continue
        if not os.path.exists(s):
            problems.append(f"COPY {s}: missing")
        elif ignored(s):
            problems.append(f"COPY {s}: excluded by the .dockerignore")
for needed in ["CMakeLists.txt", "exporter/main.cc", "collectors/CMakeLists.txt",
               "scripts/install-deps.sh", "deploy/docker/runtime-packages.sh"]:
    if ignored(needed):
        problems.append(f"{needed} is excluded from the build context")
if problems:
    sys.exit("\n".join(problems))
PY

check "the image's default config passes --check-config" \
  "$EXPORTER" --check-config --config.file=deploy/docker/config.yml

# The health check against a real exporter, a closed port, and a server that answers 503.
hc=deploy/docker/healthcheck.sh
minimal_config >"$TMP/config.yml"
if start_exporter "$TMP/config.yml"; then
  check "healthcheck passes on a running exporter" "$hc" "127.0.0.1:$EXPORTER_PORT"
  check "healthcheck passes via THOTH_HEALTH_ADDRESS" \
    env THOTH_HEALTH_ADDRESS="127.0.0.1:$EXPORTER_PORT" "$hc"
  stop_pid "$EXPORTER_PID"
  check_fails "healthcheck fails once the exporter is gone" "$hc" "127.0.0.1:$EXPORTER_PORT"
fi
bad_port=$(free_port)
python3 - "$bad_port" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503); self.end_headers(); self.wfile.write(b"down")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.serve_forever()
PY
bad_pid=$!
cleanup_hooks+=("stop_pid $bad_pid")
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$bad_port/"
check_fails "healthcheck fails on HTTP 503" "$hc" "127.0.0.1:$bad_port"
finish
