// A small PromQL scanner: finds the vector selectors of an expression, with their label matchers,
// their range (if any) and the function whose parentheses directly enclose them. Enough for the
// dashboard lint rules (job/instance matchers, $__rate_interval, counters only inside rate());
// the syntax itself is checked by the real Prometheus in the query test.
'use strict';

const AGGREGATORS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count',
  'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);

function parseMatchers(text) {
  const matchers = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?/gy;
  let m;
  while ((m = re.exec(text)) !== null && m[0].length > 0) {
    matchers.push({name: m[1], op: m[2], value: m[3].slice(1, -1)});
  }
  return matchers;
}

// Returns [{name, matchers, range, fn, text}] for every vector selector of expr.
function selectors(expr) {
  const out = [];
  const stack = [];  // function name of each open parenthesis ('' for plain grouping)
  let i = 0;
  const n = expr.length;
  const skipSpace = () => { while (i < n && /\s/.test(expr[i])) i++; };
  const skipBalanced = (open, close) => {  // expr[i] === open
    let depth = 0;
    const start = i;
    for (; i < n; i++) {
      const ch = expr[i];
      if (ch === '"' || ch === "'" || ch === '`') {
        const q = ch;
        for (i++; i < n && expr[i] !== q; i++) if (expr[i] === '\\' && q !== '`') i++;
        continue;
      }
      if (ch === open) depth++;
      else if (ch === close && --depth === 0) { i++; return expr.slice(start + 1, i - 1); }
    }
    throw new Error(`unbalanced ${open} in: ${expr}`);
  };
  const readSelectorTail = (name, start) => {
    let matchers = [];
    skipSpace();
    if (expr[i] === '{') matchers = parseMatchers(skipBalanced('{', '}'));
    let range = null;
    const save = i;
    skipSpace();
    if (expr[i] === '[') range = skipBalanced('[', ']');
    else i = save;
    out.push({name, matchers, range, fn: stack.length ? stack[stack.length - 1] : null,
      text: expr.slice(start, i)});
  };
  while (i < n) {
    const ch = expr[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '"' || ch === "'" || ch === '`') {
      for (i++; i < n && expr[i] !== ch; i++) if (expr[i] === '\\' && ch !== '`') i++;
      i++;
      continue;
    }
    if (/[0-9.]/.test(ch)) { while (i < n && /[0-9a-zA-Z_.+]/.test(expr[i])) { if (/[eE]/.test(expr[i]) && /[+-]/.test(expr[i + 1] || '')) i++; i++; } continue; }
    if (ch === '(') { stack.push(''); i++; continue; }
    if (ch === ')') { stack.pop(); i++; continue; }
    if (ch === '[') { skipBalanced('[', ']'); continue; }  // subquery range
    if (ch === '{') { const start = i; readSelectorTail(null, start); continue; }
    if (/[a-zA-Z_:]/.test(ch)) {
      const start = i;
      while (i < n && /[a-zA-Z0-9_:]/.test(expr[i])) i++;
      const word = expr.slice(start, i);
      const after = i;
      skipSpace();
      if (LABEL_LIST_KEYWORDS.has(word) && expr[i] === '(') { skipBalanced('(', ')'); continue; }
      if (AGGREGATORS.has(word)) {
        if (/^(by|without)\b/.test(expr.slice(i))) {
          while (i < n && /[a-z]/.test(expr[i])) i++;
          skipSpace();
          skipBalanced('(', ')');
          skipSpace();
        }
        if (expr[i] === '(') { stack.push(word); i++; continue; }
      }
      if (expr[i] === '(' && !KEYWORDS.has(word)) { stack.push(word); i++; continue; }
      if (KEYWORDS.has(word.toLowerCase()) || LABEL_LIST_KEYWORDS.has(word)) { i = after; continue; }
      i = after;
      readSelectorTail(word, start);
      continue;
    }
    i++;  // operators, commas
  }
  return out;
}

// Whether a metric is a counter by its name (Prometheus conventions, plus the peers' counters
// kept without the _total suffix for compatibility).
const COMPAT_COUNTERS = [
  /^pg_stat_database_(xact_commit|xact_rollback|blks_read|blks_hit|tup_\w+|conflicts|temp_files|temp_bytes|deadlocks|blk_read_time|blk_write_time|sessions\w*|checksum_failures)$/,
  /^pg_stat_user_tables_(seq_scan|seq_tup_read|idx_scan|idx_tup_fetch|n_tup_ins|n_tup_upd|n_tup_del|n_tup_hot_upd|vacuum_count|autovacuum_count|analyze_count|autoanalyze_count)$/,
];
function isCounterName(name) {
  // _count/_sum are counters only as parts of a histogram or summary (pg_locks_count is a gauge);
  // the live query test checks those against the exporter's # TYPE lines.
  return /(_total|_bucket)$/.test(name) || /^thoth_http_request_duration_seconds_(count|sum)$/.test(name) ||
    COMPAT_COUNTERS.some((re) => re.test(name));
}

module.exports = {selectors, isCounterName};
