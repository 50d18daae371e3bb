#!/usr/bin/env python3
"""Renders the monitoring mixin (mixin/) into alerts/*.rules.yml and dashboards/*.json.

  mixin/render.py                  format the mixin's sources (jsonnetfmt), then write the files
                                   into the repository (what `make mixin` does)
  mixin/render.py --out DIR        write them into DIR/alerts and DIR/dashboards
  mixin/render.py --check          fail when the repository's files differ from the mixin, or
                                   a source is not formatted as jsonnetfmt formats it
  mixin/render.py --config CODE    merge a jsonnet object into _config first, e.g.
                                   --config '{thothSelector: "job=\\"thoth\\""}'

Needs jsonnet (Debian package `jsonnet`) and PyYAML (`python3-yaml`). jsonnet evaluates the
mixin; this script only lays the result out: rule keys in the order people read them (alert,
expr, for, labels, annotations), multi-line expressions as YAML block scalars, numbers written
the shortest way (0.1, not 0.10000000000000001), dashboards as 2-space JSON.
"""
import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATED = 'Generated from mixin/ by `make mixin` (mixin/render.py): edit the mixin, not this file.'

# The mixins' usual jsonnetfmt settings (node-mixin, kubernetes-mixin).
JSONNETFMT = ['jsonnetfmt', '-n', '2', '--max-blank-lines', '2', '--string-style', 's',
              '--comment-style', 's']

RULE_ORDER = ['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']
ANNOTATION_ORDER = ['summary', 'description', 'runbook_url']


def ordered(d, order):
    keys = [k for k in order if k in d] + sorted(k for k in d if k not in order)
    return {k: d[k] for k in keys}


class Quoted(str):
    pass


class Dumper(yaml.SafeDumper):
    # Lists indented under their key, as the hand-written files had them.
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _str(dumper, s):
    if '\n' in s:
        return dumper.represent_scalar('tag:yaml.org,2002:str', s, style='|')
    return dumper.represent_scalar('tag:yaml.org,2002:str', s)


Dumper.add_representer(str, _str)
Dumper.add_representer(Quoted, lambda d, s: d.represent_scalar('tag:yaml.org,2002:str', s, style='"'))


def rule_file(spec):
    groups = []
    for g in spec['groups']:
        rules = []
        for r in g['rules']:
            r = ordered(r, RULE_ORDER)
            if 'labels' in r:
                r['labels'] = ordered(r['labels'], ['severity'])
            if 'annotations' in r:
                r['annotations'] = {k: Quoted(v) for k, v in
                                    ordered(r['annotations'], ANNOTATION_ORDER).items()}
            rules.append(r)
        groups.append(ordered(dict(g, rules=rules), ['name', 'interval', 'rules']))
    header = ''.join('# ' + line + '\n' if line else '#\n'
                     for line in (GENERATED + '\n' + spec['header'].rstrip('\n')).split('\n'))
    body = yaml.dump({'groups': groups}, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     width=1 << 16, default_flow_style=False)
    return header + body


def render(config_code):
    cmd = ['jsonnet', '-J', HERE, os.path.join(HERE, 'render.jsonnet')]
    if config_code:
        cmd += ['--tla-code', 'config=' + config_code]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        sys.exit('render.py: jsonnet not found (Debian package jsonnet: scripts/install-deps.sh)')
    except subprocess.CalledProcessError as e:
        sys.exit('render.py: jsonnet failed:\n' + e.stderr)
    r = json.loads(out)
    files = {}
    for name, spec in r['alerts'].items():
        files['alerts/' + name] = rule_file(spec)
    for name, d in r['dashboards'].items():
        files['dashboards/' + name] = json.dumps(d, indent=2, ensure_ascii=False) + '\n'
    return files


def sources():
    out = []
    for d, _, names in os.walk(HERE):
        out += [os.path.join(d, n) for n in names if n.endswith(('.jsonnet', '.libsonnet'))]
    return sorted(out)


def unformatted(fix):
    """The sources jsonnetfmt would change (after changing them, with fix)."""
    bad = []
    for f in sources():
        r = subprocess.run(JSONNETFMT + (['-i'] if fix else ['--test']) + [f], capture_output=True,
                           text=True)
        if r.returncode != 0:
            if r.stderr.strip():
                sys.exit(f'render.py: jsonnetfmt {f}: {r.stderr.strip()}')
            bad.append(os.path.relpath(f, ROOT))
    return bad


def committed(root):
    """The files of the repository that the mixin owns."""
    out = {}
    for sub, suffix in (('alerts', '.rules.yml'), ('dashboards', '.json')):
        d = os.path.join(root, sub)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if f.endswith(suffix):
                with open(os.path.join(d, f), encoding='utf-8') as fh:
                    out[sub + '/' + f] = fh.read()
    return out


def write(files, root):
    for sub in ('alerts', 'dashboards'):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for stale in set(committed(root)) - set(files):
        os.remove(os.path.join(root, stale))
    for path, text in files.items():
        with open(os.path.join(root, path), 'w', encoding='utf-8') as fh:
            fh.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=ROOT, help='directory to write alerts/ and dashboards/ into')
    p.add_argument('--check', action='store_true', help='compare with the files in --out instead')
    p.add_argument('--config', default='', help='jsonnet object merged into _config')
    a = p.parse_args()
    if not a.check and os.path.abspath(a.out) == ROOT:
        unformatted(fix=True)  # make mixin: the sources too
    files = render(a.config)
    if not a.check:
        write(files, a.out)
        print(f'render.py: wrote {len(files)} files into {a.out}')
        return 0
    have = committed(a.out)
    problems = passed = 0
    for path in sorted(set(files) | set(have)):
        if path not in have:
            print(f'FAIL {path}: the mixin renders it, the repository lacks it')
        elif path not in files:
            print(f'FAIL {path}: in the repository, but the mixin does not render it')
        elif have[path] != files[path]:
            print(f'FAIL {path}: differs from what the mixin renders:')
            diff = difflib.unified_diff(have[path].splitlines(), files[path].splitlines(),
                                        'repository/' + path, 'mixin/' + path, lineterm='', n=1)
            print('\n'.join(list(diff)[:40]))
        else:
            print(f'ok   {path}')
            passed += 1
            continue
        problems += 1
    for f in unformatted(fix=False):
        print(f'FAIL {f}: not formatted as jsonnetfmt formats it')
        problems += 1
        print('alerts/ and dashboards/ are generated from mixin/: edit the mixin, then run '
              '`make mixin` (python3 mixin/render.py) and commit the result.')
    print(f'mixin rendered = repository: {passed} passed, {problems} failed')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
