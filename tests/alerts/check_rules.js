// Conventions of alerts/*.rules.yml that promtool does not check: severity and annotations,
// runbook anchors that exist, warning/critical pairs under one name, guarded divisions, and a
// promtool unit test that fires every (alert, severity).
'use strict';
const fs = require('fs');
const path = require('path');
const {SOURCE_DIR, readYaml, loadAlertRules, markdownAnchors, Checker} = require('./lib');

const c = new Checker('alert rule conventions');
const rules = loadAlertRules();
const anchors = markdownAnchors(path.join(SOURCE_DIR, 'docs', 'runbooks.md'));

// (alertname, severity) pairs that some test expects to fire.
const tested = new Set();
const testDir = path.join(SOURCE_DIR, 'alerts', 'tests');
for (const f of fs.readdirSync(testDir).filter((n) => n.endsWith('.test.yml'))) {
  for (const t of readYaml(path.join(testDir, f)).tests || []) {
    for (const a of t.alert_rule_test || []) {
      for (const e of a.exp_alerts || []) tested.add(`${a.alertname}/${e.exp_labels.severity}`);
    }
  }
}

const byName = new Map();
for (const r of rules) {
  const id = `${r.file}: ${r.alert} (${r.labels && r.labels.severity})`;
  const sev = r.labels && r.labels.severity;
  c.check(['critical', 'warning', 'info'].includes(sev), `${id}: severity must be critical, warning or info`);
  c.check(typeof r.for === 'string' && r.for.length > 0, `${id}: needs a for: duration`);
  const ann = r.annotations || {};
  for (const k of ['summary', 'description', 'runbook_url']) c.check(!!ann[k], `${id}: missing annotation ${k}`);
  const m = /^docs\/runbooks\.md#([\w-]+)$/.exec(ann.runbook_url || '');
  c.check(m && anchors.has(m[1]), `${id}: runbook_url ${ann.runbook_url} is not an anchor of docs/runbooks.md`);
  c.check(m && m[1] === r.alert.toLowerCase(), `${id}: runbook anchor should be #${r.alert.toLowerCase()}`);
  const boolean = /==\s*[01]\s*$/.test(r.expr.trim()) || /^absent\(/.test(r.expr.trim());
  c.check(boolean || /\$value/.test(ann.description || ''), `${id}: description must show $value`);
  // Every division is by a parenthesised divisor guarded with "> 0)".
  const expr = r.expr.replace(/\s+/g, ' ');
  let guarded = true;
  for (let i = expr.indexOf(' / '); i >= 0; i = expr.indexOf(' / ', i + 1)) {
    const rest = expr.slice(i + 3);
    if (rest[0] !== '(') { guarded = false; break; }
    let depth = 0, j = 0;
    for (; j < rest.length; j++) {
      if (rest[j] === '(') depth++;
      if (rest[j] === ')' && --depth === 0) break;
    }
    if (!/> 0\)$/.test(rest.slice(0, j + 1))) guarded = false;
  }
  c.check(guarded, `${id}: every division needs a "(divisor > 0)" guard`);
  c.check(tested.has(`${r.alert}/${sev}`), `${id}: no promtool test in alerts/tests expects it to fire`);
  if (!byName.has(r.alert)) byName.set(r.alert, []);
  byName.get(r.alert).push(sev);
}
for (const [name, sevs] of byName) {
  const ok = sevs.length === 1 || (sevs.length === 2 && sevs.includes('warning') && sevs.includes('critical'));
  c.check(ok, `${name}: one name is one rule, or a warning and its critical (got ${sevs.join(', ')})`);
}
c.check(rules.length > 0, 'no alert rules found');
c.finish();
