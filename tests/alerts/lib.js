// Shared helpers of the alert and dashboard checks (node, no build step).
'use strict';
const fs = require('fs');
const path = require('path');

const SOURCE_DIR = path.resolve(__dirname, '..', '..');
function requireTool(name) {
  try {
    return require(path.join(__dirname, 'node_modules', name));
  } catch (e) {
    console.error(`${name} is not installed: run scripts/setup.d/alerts.sh (${e.message})`);
    process.exit(2);
  }
}
const yaml = requireTool('js-yaml');

function readYaml(file) {
  return yaml.load(fs.readFileSync(file, 'utf8'), {filename: file});
}

// Every alerting rule of alerts/*.rules.yml, with the file it came from.
function loadAlertRules(dir = path.join(SOURCE_DIR, 'alerts')) {
  const rules = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.rules.yml')).sort()) {
    const doc = readYaml(path.join(dir, f));
    for (const group of doc.groups || []) {
      for (const rule of group.rules || []) {
        if (rule.alert) rules.push({...rule, file: f, group: group.name});
      }
    }
  }
  return rules;
}

// GitHub's anchor for a Markdown heading.
function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
}

function markdownAnchors(file) {
  const anchors = new Set();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^#{1,6}\s+(.*)$/);
    if (m) anchors.add(slug(m[1]));
  }
  return anchors;
}

// Collects failures and prints a closing "N passed, N failed" line.
class Checker {
  constructor(name) {
    this.name = name;
    this.passed = 0;
    this.failures = [];
  }
  check(ok, what) {
    if (ok) this.passed++;
    else this.failures.push(what);
    return ok;
  }
  finish() {
    for (const f of this.failures) console.log(`FAIL ${this.name}: ${f}`);
    console.log(`${this.name}: ${this.passed} passed, ${this.failures.length} failed`);
    process.exit(this.failures.length ? 1 : 0);
  }
}

module.exports = {SOURCE_DIR, requireTool, yaml, readYaml, loadAlertRules, slug, markdownAnchors, Checker};
