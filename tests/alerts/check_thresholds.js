// The numbers in alerts/ are the exporter's default thresholds: exporter/thresholds.h (what
// --once judges with) and the thresholds section of the embedded default config
// (exporter/config.cc). Fails when any of them drift apart, or a threshold has no rule.
'use strict';
const fs = require('fs');
const path = require('path');
const {SOURCE_DIR, yaml, loadAlertRules, Checker} = require('./lib');

const c = new Checker('alert thresholds = exporter defaults');

// Which rules carry which threshold: [alert, severity, threshold field, level].
const MAP = [
  ['HealthProbeSlow', 'warning', 'api_latency_seconds', 'warning'],
  ['HealthProbeSlow', 'critical', 'api_latency_seconds', 'critical'],
  ['ApiLatencyHigh', 'warning', 'api_latency_seconds', 'warning'],
  ['ApiLatencyHigh', 'critical', 'api_latency_seconds', 'critical'],
  ['PostgresConnectionsHigh', 'warning', 'db_connections_ratio', 'warning'],
  ['PostgresConnectionsHigh', 'critical', 'db_connections_ratio', 'critical'],
  ['ContainerMemoryHigh', 'warning', 'memory_usage_ratio', 'warning'],
  ['ContainerMemoryHigh', 'critical', 'memory_usage_ratio', 'critical'],
  ['HostMemoryHigh', 'warning', 'memory_usage_ratio', 'warning'],
  ['HostMemoryHigh', 'critical', 'memory_usage_ratio', 'critical'],
  ['RedisMemoryHigh', 'warning', 'memory_usage_ratio', 'warning'],
  ['RedisMemoryHigh', 'critical', 'memory_usage_ratio', 'critical'],
  ['ErrorRateHigh', 'warning', 'error_rate_ratio', 'warning'],
  ['ErrorRateHigh', 'critical', 'error_rate_ratio', 'critical'],
  ['ChromaCollectionSize', 'warning', 'chroma_collection_vectors', 'warning'],
  ['ChromaCollectionSize', 'critical', 'chroma_collection_vectors', 'critical'],
  ['PostgresLongRunningQuery', 'warning', 'long_running_query_seconds', null],
  ['PostgresSlowStatements', 'warning', 'slow_query_mean_seconds', null],
  ['BackupTooOld', 'critical', 'backup_max_age_seconds', null],
  ['DiskSpaceLow', 'warning', 'disk_free_ratio', 'warning'],
  ['DiskSpaceLow', 'critical', 'disk_free_ratio', 'critical'],
];

// exporter/thresholds.h: `Level name{w, c};` and `double name = v;`
const headerText = fs.readFileSync(path.join(SOURCE_DIR, 'exporter', 'thresholds.h'), 'utf8');
const body = /struct\s+Thresholds\s*\{([\s\S]*?)\n\};/.exec(headerText);
c.check(!!body, 'thresholds.h: struct Thresholds not found');
const header = body ? body[1] : '';
const fromHeader = {};
for (const m of header.matchAll(/Level\s+(\w+)\s*\{\s*([-\d.eE+]+)\s*,\s*([-\d.eE+]+)\s*\}\s*;/g)) {
  fromHeader[m[1]] = {warning: Number(m[2]), critical: Number(m[3])};
}
for (const m of header.matchAll(/double\s+(\w+)\s*=\s*([-\d.eE+]+)\s*;/g)) fromHeader[m[1]] = Number(m[2]);
c.check(Object.keys(fromHeader).length >= 8, `thresholds.h: parsed only ${Object.keys(fromHeader).join(', ')}`);

// The embedded default config's thresholds section.
const configCc = fs.readFileSync(path.join(SOURCE_DIR, 'exporter', 'config.cc'), 'utf8');
const embedded = /R"yaml\(([\s\S]*?)\)yaml"/.exec(configCc);
const fromConfig = c.check(!!embedded, 'exporter/config.cc: embedded default config not found')
  ? (yaml.load(embedded[1]).thresholds || {}) : {};

const get = (src, field, level) => (level ? (src[field] || {})[level] : src[field]);
const rules = loadAlertRules();
for (const field of Object.keys(fromHeader)) {
  c.check(MAP.some((m) => m[2] === field), `threshold ${field} (thresholds.h) has no alert rule mapped`);
}
for (const [alert, severity, field, level] of MAP) {
  const want = get(fromHeader, field, level);
  const what = `${alert} (${severity}) vs ${field}${level ? '.' + level : ''}`;
  c.check(want !== undefined, `${what}: not in exporter/thresholds.h`);
  c.check(get(fromConfig, field, level) === want,
    `${what}: embedded default config says ${get(fromConfig, field, level)}, thresholds.h ${want}`);
  const rule = rules.filter((r) => r.alert === alert && r.labels.severity === severity);
  if (!c.check(rule.length === 1, `${what}: expected one rule, found ${rule.length}`)) continue;
  // The comparison numbers of the expression, without the "> 0" guards.
  const numbers = [...rule[0].expr.matchAll(/[<>]=?\s*([\d.]+(?:e[+-]?\d+)?)/gi)].map((m) => Number(m[1]))
    .filter((n) => n !== 0);
  c.check(numbers.length === 1 && numbers[0] === want,
    `${what}: rule compares with ${numbers.join(', ') || 'nothing'}, exporter default is ${want}`);
}
c.finish();
