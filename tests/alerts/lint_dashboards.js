// The project's lint of dashboards/*.json: the grafana/dashboard-linter rules (datasource, job and
// instance variables; panels on $datasource with title, description and unit; every selector
// filtered by job and instance; $__rate_interval in rate(); counters only inside rate() or
// increase()), plus this project's own: stable uids and tags, the documented thresholds drawn
// on the overview, a row per MEM code with the manual's text and a runbook link that exists.
// (That the committed JSON is what the mixin renders is mixin_rendered's check: tests/mixin.)
'use strict';
const fs = require('fs');
const path = require('path');
const {SOURCE_DIR, markdownAnchors, Checker} = require('./lib');
const {selectors, isCounterName} = require('./promql');

const c = new Checker('dashboard lint');
const dir = path.join(SOURCE_DIR, 'dashboards');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const anchors = markdownAnchors(path.join(SOURCE_DIR, 'docs', 'runbooks.md'));

c.check(files.length >= 7, `expected 7 dashboards, found ${files.length}`);

const uids = new Set();
const titles = new Set();
const all = {};
for (const f of files) {
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  let d;
  try {
    d = JSON.parse(text);
  } catch (e) {
    c.check(false, `${f}: not JSON: ${e.message}`);
    continue;
  }
  all[f] = d;
  const where = `${f}`;
  c.check(/^thoth-[a-z0-9-]+$/.test(d.uid || ''), `${where}: uid "${d.uid}" must be stable and look like thoth-<name>`);
  c.check(!uids.has(d.uid), `${where}: uid ${d.uid} used twice`);
  c.check(!titles.has(d.title), `${where}: title ${d.title} used twice`);
  uids.add(d.uid);
  titles.add(d.title);
  c.check(Array.isArray(d.tags) && d.tags.includes('thoth') && d.tags.length >= 2, `${where}: tags must include "thoth" and an area`);
  c.check(!!d.description, `${where}: dashboard description missing`);
  c.check(d.id === undefined || d.id === null, `${where}: no numeric id in provisioned dashboards`);

  // Variables.
  const vars = (d.templating && d.templating.list) || [];
  const v = (name) => vars.find((x) => x.name === name);
  const ds = v('datasource');
  c.check(ds && ds.type === 'datasource' && ds.query === 'prometheus', `${where}: needs a "datasource" variable of type datasource for prometheus`);
  for (const name of ['job', 'instance']) {
    const x = v(name);
    c.check(x && x.type === 'query', `${where}: needs a "${name}" query variable`);
    if (!x) continue;
    c.check(x.multi === true && x.includeAll === true, `${where}: variable ${name} must be multi-value with All`);
  }
  c.check(v('instance') && /\$job/.test(String(v('instance').query)), `${where}: instance variable must be filtered by $job`);
  for (const x of vars.filter((y) => y.type === 'query')) {
    c.check(x.datasource && x.datasource.uid === '${datasource}', `${where}: variable ${x.name} must use $datasource`);
    c.check(x.refresh === 2, `${where}: variable ${x.name} must refresh on time range change (refresh: 2)`);
    if (x.name !== 'job') {
      c.check(/job=~"\$job"/.test(String(x.query)), `${where}: variable ${x.name} must be filtered by job=~"$job"`);
    }
  }

  // Panels.
  const ids = new Set();
  for (const p of d.panels || []) {
    const pw = `${where} panel "${p.title}"`;
    c.check(!ids.has(p.id), `${pw}: duplicate id ${p.id}`);
    ids.add(p.id);
    c.check(p.gridPos && p.gridPos.x + p.gridPos.w <= 24, `${pw}: gridPos outside 24 columns`);
    if (p.type === 'row') continue;
    c.check(!!p.title && !!p.description, `${pw}: needs a title and a description`);
    if (p.type === 'text') {
      c.check(!!(p.options && p.options.content), `${pw}: empty text panel`);
      continue;
    }
    c.check(p.datasource && p.datasource.uid === '${datasource}', `${pw}: must use the $datasource variable`);
    const defaults = (p.fieldConfig && p.fieldConfig.defaults) || {};
    c.check(typeof defaults.unit === 'string' && defaults.unit.length > 0, `${pw}: needs a unit`);
    const steps = (defaults.thresholds && defaults.thresholds.steps) || [];
    if (p.type === 'timeseries' && steps.length > 1) {
      c.check(defaults.custom && defaults.custom.thresholdsStyle && defaults.custom.thresholdsStyle.mode !== 'off',
        `${pw}: has thresholds but does not draw them`);
    }
    const targets = p.targets || [];
    c.check(targets.length > 0, `${pw}: has no query`);
    const refs = new Set();
    for (const t of targets) {
      const tw = `${pw} query ${t.refId}`;
      c.check(!refs.has(t.refId), `${tw}: duplicate refId`);
      refs.add(t.refId);
      c.check(t.datasource && t.datasource.uid === '${datasource}', `${tw}: must use $datasource`);
      c.check(typeof t.expr === 'string' && t.expr.trim().length > 0, `${tw}: empty expr`);
      let sels = [];
      try {
        sels = selectors(t.expr);
      } catch (e) {
        c.check(false, `${tw}: ${e.message}`);
      }
      c.check(sels.length > 0, `${tw}: no selector in ${t.expr}`);
      for (const s of sels) {
        const has = (name, value) => s.matchers.some((m) => m.name === name && m.op === '=~' && m.value === value);
        c.check(has('job', '$job'), `${tw}: ${s.text} lacks job=~"$job"`);
        c.check(has('instance', '$instance'), `${tw}: ${s.text} lacks instance=~"$instance"`);
        if (s.fn === 'rate' || s.fn === 'irate') {
          c.check(s.range === '$__rate_interval', `${tw}: ${s.fn}(${s.text}) must use [$__rate_interval]`);
        }
        if (s.fn === 'increase') {
          c.check(s.range === '$__rate_interval' || s.range === '$__range', `${tw}: increase(${s.text}) must use [$__rate_interval] or [$__range]`);
        }
        if (s.range) c.check(!/\$__interval\b/.test(s.range), `${tw}: ${s.text}: use $__rate_interval, not $__interval`);
        if (s.name && isCounterName(s.name)) {
          c.check(['rate', 'irate', 'increase'].includes(s.fn) && !!s.range,
            `${tw}: counter ${s.name} used outside rate()/increase()`);
        }
      }
    }
    for (const l of p.links || []) {
      const m = /^\$\{runbooks\}#([\w-]+)$/.exec(l.url || '');
      if (m) c.check(anchors.has(m[1]), `${pw}: runbook link #${m[1]} is not an anchor of docs/runbooks.md`);
    }
  }
}

// The overview draws the five documented thresholds, with the exporter's default numbers.
const header = fs.readFileSync(path.join(SOURCE_DIR, 'exporter', 'thresholds.h'), 'utf8');
const overview = all['overview.json'];
for (const m of header.matchAll(/Level\s+(\w+)\s*\{\s*([-\d.eE+]+)\s*,\s*([-\d.eE+]+)\s*\}/g)) {
  const want = [Number(m[2]), Number(m[3])];
  const found = overview && overview.panels.some((p) => {
    const steps = (((p.fieldConfig || {}).defaults || {}).thresholds || {}).steps || [];
    const values = steps.map((s) => s.value).filter((x) => x !== null);
    if (values.length !== 2) return false;
    if (p.type === 'timeseries' && values[0] === want[0] && values[1] === want[1]) return true;
    // A "lower is worse" pair (warning above critical, e.g. disk_free_ratio): Grafana's steps
    // ascend, so they read critical then warning; a stat panel colouring the current value counts.
    return want[0] > want[1] && ['timeseries', 'stat'].includes(p.type) &&
      values[0] === want[1] && values[1] === want[0];
  });
  c.check(found, `overview.json: no panel draws ${m[1]} at ${want.join(' / ')} (exporter/thresholds.h)`);
}

// The error-codes dashboard: a row per code, with the manual's text (as the exporter serves it,
// exporter/memory_errors.cc), a count query and a runbook link.
const codesSrc = fs.readFileSync(path.join(SOURCE_DIR, 'exporter', 'memory_errors.cc'), 'utf8');
const codes = [...codesSrc.matchAll(/\{(?:MemCode::\w+,\s*)?"(MEM-\d{3})",\s*"([^"]+)",\s*"([^"]+)"\}/g)].map((m) => m.slice(1));
c.check(codes.length === 8, `exporter/memory_errors.cc: found ${codes.length} error codes, expected 8`);
const ec = all['error-codes.json'];
for (const [code, description, solution] of codes) {
  if (!ec) break;
  const rowIndex = ec.panels.findIndex((p) => p.type === 'row' && p.title.startsWith(code));
  if (!c.check(rowIndex >= 0, `error-codes.json: no row for ${code}`)) continue;
  let end = ec.panels.findIndex((p, i) => i > rowIndex && p.type === 'row');
  if (end < 0) end = ec.panels.length;
  const panels = ec.panels.slice(rowIndex + 1, end);
  const txt = panels.find((p) => p.type === 'text');
  const content = txt ? txt.options.content : '';
  c.check(content.includes(description) && content.includes(solution),
    `error-codes.json ${code}: text panel must give "${description}" and "${solution}"`);
  const link = /\(\$\{runbooks\}#([\w-]+)\)/.exec(content);
  c.check(link && anchors.has(link[1]), `error-codes.json ${code}: text panel needs a runbook link to an existing anchor`);
  c.check(panels.some((p) => (p.targets || []).some((t) => t.expr.includes(`thoth_memory_errors_total{`) && t.expr.includes(`code="${code}"`))),
    `error-codes.json ${code}: no panel counts thoth_memory_errors_total{code="${code}"}`);
  c.check(panels.filter((p) => p.type !== 'text').length >= 3, `error-codes.json ${code}: needs count, rate and signal panels`);
}
// Provisioning (deploy/grafana): one Prometheus data source, one file provider.
const {readYaml} = require('./lib');
const prov = path.join(SOURCE_DIR, 'deploy', 'grafana', 'provisioning');
try {
  const dsFile = readYaml(path.join(prov, 'datasources', 'prometheus.yml'));
  c.check(dsFile.apiVersion === 1 && (dsFile.datasources || []).some((x) => x.type === 'prometheus' && x.url),
    'deploy/grafana: datasources/prometheus.yml must provision a prometheus data source with a url');
  const dbFile = readYaml(path.join(prov, 'dashboards', 'thoth.yml'));
  c.check(dbFile.apiVersion === 1 && (dbFile.providers || []).some((x) => x.type === 'file' && x.options && x.options.path),
    'deploy/grafana: dashboards/thoth.yml must provision a file provider with a path');
} catch (e) {
  c.check(false, `deploy/grafana: ${e.message}`);
}
c.finish();
