#!/usr/bin/env python3
"""The include graph between the source folders, from the #include "..." lines.

Usage: scripts/include_graph.py [ROOT]          prints "from -> to  (lines)" for every edge
       scripts/include_graph.py --check [ROOT]  also fails (exit 1) on an include that points
                                                the wrong way (the rules below)

A node is a top-level source folder (exporter, procfs, docker) or one collector
(collectors/<kind>); tests are not part of the graph.

The rules (CMake links the same way: collectors/CMakeLists.txt):
  - procfs/ includes nothing of the project but itself; docker/ only procfs/. Both may include
    exporter/status.h, the result type every layer returns (header-only, standard library only).
  - no collector includes another collector's files.
  - exporter/ includes collectors only in registry.cc (the registration list), and never docker/.
"""
import collections
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SOURCE_DIRS = ("exporter", "collectors", "procfs", "docker")
STATUS_HEADER = "exporter/status.h"


def node_of(path):
    parts = path.split("/")
    if parts[0] == "collectors" and len(parts) > 2:
        return "collectors/" + parts[1]
    return parts[0]


def edges(root):
    found = collections.defaultdict(list)  # (from, to) -> [file:line]
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                with open(full, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    target = m.group(1)
                    if target.split("/")[0] not in SOURCE_DIRS:
                        continue  # a library's header ("spdlog/spdlog.h")
                    a, b = node_of(rel), node_of(target)
                    if target == STATUS_HEADER and a in ("procfs", "docker"):
                        continue  # the one core header below them: see the rules above
                    if a != b:
                        line = text.count("\n", 0, m.start()) + 1
                        found[(a, b)].append(f"{rel}:{line}")
    return found


def violations(found):
    bad = []
    for (a, b), where in sorted(found.items()):
        for w in where:
            f = w.rsplit(":", 1)[0]
            if a == "procfs":
                bad.append(f"{w}: procfs/ includes {b}/ (it must depend on nothing)")
            elif a == "docker" and b != "procfs":
                bad.append(f"{w}: docker/ includes {b}/ (only procfs/ is below it)")
            elif a.startswith("collectors/") and b.startswith("collectors/"):
                bad.append(f"{w}: {a} includes {b}'s files (move shared code to a library)")
            elif a == "exporter" and b.startswith("collectors/") and f != "exporter/registry.cc":
                bad.append(f"{w}: exporter/ knows collectors only through exporter/registry.cc")
            elif a == "exporter" and b == "docker":
                bad.append(f"{w}: exporter/ includes docker/")
    return bad


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = edges(root)
    for (a, b), where in sorted(found.items()):
        print(f"{a:22} -> {b:22} ({len(where)})")
    if check:
        bad = violations(found)
        for b in bad:
            print(b, file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
