#!/usr/bin/env python3
"""Checks of the monitoring mixin (mixin/) that rendering alone does not show.

  mixin_test.py thresholds PRINT_THRESHOLDS   _config.thresholds == the exporter's built-in
                                              defaults (exporter/thresholds.h, compiled into the
                                              print_thresholds binary) == the embedded default
                                              config's thresholds: section
  mixin_test.py config                        rendered with another _config (selectors, label
                                              names, thresholds), the output follows it

Prints one line per check and a closing 'N passed, N failed'.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MIXIN = os.path.join(ROOT, 'mixin')
sys.path.insert(0, MIXIN)
import render  # noqa: E402  (mixin/render.py)

passed = failed = 0


def check(ok, what, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok   ' + what)
    else:
        failed += 1
        print('FAIL ' + what + (('\n     ' + detail.replace('\n', '\n     ')) if detail else ''))
    return ok


def finish(name):
    print(f'{name}: {passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)


def jsonnet(expr):
    out = subprocess.run(['jsonnet', '-J', MIXIN, '-e', expr], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def same_numbers(a, b):
    """Equal as numbers (0.8 == 0.80000000000000004), key for key."""
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(same_numbers(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


# ---- thresholds: one source -------------------------------------------------------------------
def thresholds(binary):
    cfg = jsonnet('(import "mixin.libsonnet")._config.thresholds')
    cxx = json.loads(subprocess.run([binary], check=True, capture_output=True, text=True).stdout)
    # Every field of struct Thresholds is printed: a field added to the header but not to
    # print_thresholds.cc (or to the mixin) fails here.
    header = open(os.path.join(ROOT, 'exporter', 'thresholds.h'), encoding='utf-8').read()
    body = re.search(r'struct\s+Thresholds\s*\{(.*?)\n\};', header, re.S).group(1)
    fields = set(re.findall(r'^\s*(?:Level|double)\s+(\w+)', body, re.M))
    check(fields == set(cxx), 'print_thresholds prints every field of struct Thresholds',
          f'header {sorted(fields)}\nprinted {sorted(cxx)}')
    check(set(cfg) == fields, 'mixin _config.thresholds has exactly the fields of struct Thresholds',
          f'header {sorted(fields)}\nmixin {sorted(cfg)}')
    for k in sorted(fields & set(cfg) & set(cxx)):
        check(same_numbers(cfg[k], cxx[k]), f'{k}: mixin {json.dumps(cfg[k])} == exporter default',
              f'exporter/thresholds.h has {json.dumps(cxx[k])}')
    # The embedded default config (exporter/config.cc) writes the same section out.
    cc = open(os.path.join(ROOT, 'exporter', 'config.cc'), encoding='utf-8').read()
    embedded = yaml.safe_load(re.search(r'R"yaml\((.*?)\)yaml"', cc, re.S).group(1))
    got = embedded.get('thresholds', {})
    check(same_numbers(got, cfg), 'embedded default config thresholds: == mixin _config.thresholds',
          f'config.cc {json.dumps(got)}\nmixin {json.dumps(cfg)}')
    finish('mixin thresholds = exporter defaults')


# ---- a changed _config ------------------------------------------------------------------------
KEYWORDS = {'and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
            'group_left', 'group_right', 'inf', 'nan'}


def metric_selectors(expr):
    """(name, matchers text) of every vector selector of a PromQL expression (enough for ours)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)              # string literals
    e = re.sub(r'\b(by|without|on|ignoring)\s*\([^)]*\)', ' ', e)  # label lists
    e = re.sub(r'\[[^\]]*\]', '', e)                          # ranges
    e = re.sub(r'\boffset\s+\S+', ' ', e)
    out = []
    for m in re.finditer(r'(?<![\w:.])([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?', e):
        name, braces, call = m.group(1), m.group(2), m.group(3)
        if call and not braces or name.lower() in KEYWORDS:
            continue
        out.append((name, m.start(2) if braces else -1))
    # Map back to the original text: the matchers of each selector, in order.
    texts = re.findall(r'(?<![\w:.])([a-zA-Z_:][\w:]*)(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?', expr)
    matchers = {}
    for name, braces in texts:
        matchers.setdefault(name, []).append(braces)
    return [(name, matchers.get(name, [''])) for name, _ in out]


def config():
    custom = '''{
      thothSelector: 'job="custom-job"',
      exporterJobSelector: 'job="custom-scrape"',
      exporterLabels: ['job', 'instance', 'cluster'],
      runbookURLPattern: 'https://runbooks.example.org/thoth/%s',
      dashboardNamePrefix: 'Custom / ',
      dashboardTags: ['custom-tag'],
      thresholds+: {
        db_connections_ratio: { warning: 0.6, critical: 0.7 },
        api_latency_seconds: { warning: 0.25, critical: 1.5 },
        backup_max_age_seconds: 3600,
      },
      memErrorsPerMinute+: { 'MEM-006': 120 },
    }'''
    files = render.render(custom)
    default = render.render('')
    rules = {p: yaml.safe_load(t) for p, t in files.items() if p.endswith('.yml')}
    dashboards = {p: json.loads(t) for p, t in files.items() if p.endswith('.json')}
    check(set(files) == set(default), 'the same files as the default render')
    check('custom-job' not in ''.join(default.values()), 'the default render has no custom selector')

    all_rules = [(p, g['name'], r) for p, d in rules.items() for g in d['groups'] for r in g['rules']]
    check(len(all_rules) > 50, f'{len(all_rules)} rules rendered')
    # Every selector of every rule carries the custom selector (up: the scrape job's).
    missing = []
    for p, group, r in all_rules:
        for name, braces_list in metric_selectors(r['expr']):
            want = 'job="custom-scrape"' if name == 'up' else 'job="custom-job"'
            if not all(want in b for b in braces_list):
                missing.append(f'{r.get("alert") or r.get("record")}: {name} without {want}: {r["expr"]}')
    check(not missing, 'every selector of every rule carries the configured selector',
          '\n'.join(missing[:10]))
    # The same scan finds the selectors of the default rendering, which has none to carry: the
    # check above can fail.
    bare = sum(1 for t in default.values() if t.startswith('#')
               for g in yaml.safe_load(t)['groups'] for r in g['rules']
               for name, braces_list in metric_selectors(r['expr'])
               if name != 'up' and not any('job=' in b for b in braces_list))
    check(bare > 50, f'the scan finds {bare} selectors without a job matcher in the default rendering')
    # Label names: joins and recording rules keep the configured exporter labels.
    by_name = {}
    for _, _, r in all_rules:
        by_name.setdefault(r.get('alert') or r.get('record'), []).append(r)
    sd = by_name['ServiceDown'][0]['expr']
    check('on(job, instance, cluster, target)' in sd, 'ServiceDown joins on the configured labels', sd)
    rec = by_name['target:thoth_pg_connections_in_use:ratio'][0]['expr']
    check('by (job, instance, cluster, target)' in rec, 'recording rule keeps the configured labels', rec)
    mem = by_name['MemDatabaseConnectionTimeout'][0]['expr']
    check('on (job, instance, cluster)' in mem, 'MEM-001 joins build_info on the configured labels', mem)
    # Thresholds: the numbers in the expressions and the texts follow.
    def level(name, sev):
        return next(r for r in by_name[name] if r['labels']['severity'] == sev)
    for name, sev, num, text in [
        ('PostgresConnectionsHigh', 'warning', '0.6', '60 %'),
        ('PostgresConnectionsHigh', 'critical', '0.7', '70 %'),
        ('ApiLatencyHigh', 'warning', '0.25', '250ms'),
        ('HealthProbeSlow', 'critical', '1.5', '1.5s'),
        ('BackupTooOld', 'critical', '3600', '1h'),
        ('MemRateLimitExceeded', 'warning', '120', '120 a minute'),
    ]:
        r = level(name, sev)
        check(re.search(r'[<>]\s*' + re.escape(num) + r'\b', r['expr']) is not None,
              f'{name} ({sev}) compares with {num}', r['expr'])
        check(text in r['annotations']['description'], f'{name} ({sev}) description says {text}',
              r['annotations']['description'])
    # Thresholds untouched keep their default.
    check(level('RedisMemoryHigh', 'warning')['expr'].endswith('> 0.7'), 'RedisMemoryHigh keeps 0.7')
    check(all(r['annotations']['runbook_url'].startswith('https://runbooks.example.org/thoth/')
              for _, _, r in all_rules if 'alert' in r), 'runbook_url follows runbookURLPattern')

    # Dashboards: variables, selectors, threshold lines, titles.
    ov = dashboards['dashboards/overview.json']
    check(ov['title'].startswith('Custom / ') and 'custom-tag' in ov['tags'],
          'dashboard title prefix and tags follow', f"{ov['title']} {ov['tags']}")
    job_var = next(v for v in ov['templating']['list'] if v['name'] == 'job')
    check('thoth_exporter_build_info{job="custom-job"}' in job_var['query'],
          'the job variable lists only the configured jobs', job_var['query'])
    missing = []
    for p, d in dashboards.items():
        for panel in d['panels']:
            for t in panel.get('targets', []):
                for name, braces_list in metric_selectors(t['expr']):
                    if not all('job="custom-job"' in b for b in braces_list):
                        missing.append(f'{p} "{panel["title"]}": {name}: {t["expr"]}')
    check(not missing, 'every selector of every dashboard query carries the configured selector',
          '\n'.join(missing[:10]))
    db = next(p for p in ov['panels'] if p['title'] == 'Database connections')
    steps = [s['value'] for s in db['fieldConfig']['defaults']['thresholds']['steps']]
    check(steps == [None, 0.6, 0.7], 'overview "Database connections" draws 0.6 / 0.7', str(steps))
    check('warning 60 %, critical 70 %' in db['description'], 'and its description says so',
          db['description'])
    pg = dashboards['dashboards/postgresql.json']
    pool = next(p for p in pg['panels'] if p['title'] == 'Pool usage')
    steps = [s['value'] for s in pool['fieldConfig']['defaults']['thresholds']['steps']]
    check(steps == [None, 0.6, 0.7], 'PostgreSQL "Pool usage" draws 0.6 / 0.7', str(steps))

    # The custom rules still load in Prometheus.
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for p, t in files.items():
            if p.endswith('.yml'):
                paths.append(os.path.join(tmp, os.path.basename(p)))
                with open(paths[-1], 'w', encoding='utf-8') as fh:
                    fh.write(t)
        r = subprocess.run(['promtool', 'check', 'rules'] + paths, capture_output=True, text=True)
        check(r.returncode == 0, 'promtool check rules accepts the custom rendering',
              r.stdout[-2000:] + r.stderr[-2000:])
    finish('mixin follows its _config')


if __name__ == '__main__':
    if len(sys.argv) >= 3 and sys.argv[1] == 'thresholds':
        thresholds(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == 'config':
        config()
    else:
        sys.exit(__doc__)
