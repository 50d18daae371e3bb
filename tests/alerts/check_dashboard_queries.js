// Runs every query of dashboards/*.json (panel targets and variable queries) against a real
// Prometheus that scrapes the exporter: each must succeed and return data. Also checks, with
// the metadata Prometheus has from the exporter's # TYPE lines, that counters appear only inside
// rate()/increase(). A failure names the dashboard, the panel and the query.
// Usage: node check_dashboard_queries.js PROMETHEUS_URL [--job NAME] [--rate-interval 10s] [--range 1m]
//        [--allow-empty-expr REGEX] (queries matching REGEX may return no data: listed, not failed;
//        for facts the test machine cannot provide, e.g. a container memory limit)
'use strict';
const fs = require('fs');
const path = require('path');
const {SOURCE_DIR, Checker} = require('./lib');
const {selectors} = require('./promql');

const args = process.argv.slice(2);
const url = args[0];
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const job = opt('--job', 'thoth-exporter');
const rateInterval = opt('--rate-interval', '10s');
const range = opt('--range', '1m');
const allowEmpty = opt('--allow-empty-expr') ? new RegExp(opt('--allow-empty-expr')) : null;
if (!url) { console.error('usage: check_dashboard_queries.js PROMETHEUS_URL'); process.exit(2); }

function substitute(expr) {
  return expr
    .replace(/\$__rate_interval/g, rateInterval)
    .replace(/\$__range/g, range)
    .replace(/\$__interval/g, '5s')
    .replace(/\$job\b/g, job)
    .replace(/\$\{?(instance|target|service|log|container)\}?/g, '.+');
}

async function get(pathAndQuery) {
  const res = await fetch(url + pathAndQuery, {signal: AbortSignal.timeout(15000)});
  const body = await res.json().catch(() => ({}));
  return {status: res.status, body};
}

async function main() {
  const c = new Checker('dashboard queries against Prometheus');
  const meta = (await get('/api/v1/metadata')).body.data || {};
  const typeOf = (name) => {
    if (meta[name]) return meta[name][0].type;
    const fam = name.replace(/_(bucket|count|sum)$/, '');
    if (fam !== name && meta[fam] && ['histogram', 'summary'].includes(meta[fam][0].type)) return 'counter';
    return undefined;
  };
  const dir = path.join(SOURCE_DIR, 'dashboards');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const v of (d.templating.list || []).filter((x) => x.type === 'query')) {
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(String(v.query));
      if (!c.check(!!m, `${d.title} / variable ${v.name}: not a label_values(selector, label) query`)) continue;
      const r = await get(`/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(substitute(m[1]))}`);
      c.check(r.status === 200 && (r.body.data || []).length > 0,
        `${d.title} / variable ${v.name}: no values for ${substitute(String(v.query))}`);
    }
    for (const p of d.panels || []) {
      for (const t of p.targets || []) {
        const expr = substitute(t.expr);
        const what = `${d.title} (${f}) / panel "${p.title}" / query ${t.refId}`;
        const r = await get(`/api/v1/query?query=${encodeURIComponent(expr)}`);
        if (!c.check(r.status === 200 && r.body.status === 'success',
          `${what}: Prometheus rejected it: ${r.body.error || r.status}\n     ${expr}`)) continue;
        const result = r.body.data.result;
        const n = Array.isArray(result) ? result.length : 1;
        if (n === 0 && allowEmpty && allowEmpty.test(t.expr)) {
          console.log(`SKIP ${what}: no data, allowed here\n     ${expr}`);
          continue;
        }
        c.check(n > 0, `${what}: no data\n     ${expr}`);
        for (const s of selectors(t.expr)) {
          if (s.name && typeOf(s.name) === 'counter') {
            c.check(['rate', 'irate', 'increase'].includes(s.fn) && !!s.range,
              `${what}: ${s.name} is a counter (per the exporter's TYPE) but is used outside rate()/increase()`);
          }
        }
      }
    }
  }
  c.finish();
}
main().catch((e) => { console.error(e); process.exit(1); });
