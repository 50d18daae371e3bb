// Builders for Grafana dashboard JSON (classic model, schemaVersion 39), following the
// conventions of the monitoring mixins and grafana/dashboard-linter: a `datasource` variable,
// `job` and `instance` variables, every query on `$datasource`, units on every panel, threshold
// lines, `$__rate_interval` in rate(), counters only inside rate()/increase().
'use strict';

const DS = {type: 'prometheus', uid: '${datasource}'};
const RI = '$__rate_interval';

// The label matchers every selector carries; extra matchers appended.
function sel(...extra) {
  return `{${['job=~"$job"', 'instance=~"$instance"', ...extra.filter(Boolean)].join(',')}}`;
}

function queryVar(name, label, query, opts = {}) {
  return {
    type: 'query', name, label, datasource: DS, query, refresh: 2,
    includeAll: opts.includeAll !== false, multi: opts.multi !== false, allValue: '.+', sort: 1,
    regex: '', hide: 0,
  };
}

function standardVariables() {
  return [
    {type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', refresh: 1,
      regex: '', hide: 0},
    queryVar('job', 'job', 'label_values(thoth_exporter_build_info, job)'),
    queryVar('instance', 'instance', 'label_values(thoth_exporter_build_info{job=~"$job"}, instance)'),
  ];
}

// [warning, critical] above which a value is bad (or below, with lower: true).
function thresholdSteps(levels, lower) {
  if (!levels) return [{color: 'green', value: null}];
  const [w, c] = levels;
  if (lower) {
    return c === undefined ? [{color: 'orange', value: null}, {color: 'green', value: w}]
      : [{color: 'red', value: null}, {color: 'orange', value: c}, {color: 'green', value: w}];
  }
  return c === undefined ? [{color: 'green', value: null}, {color: 'red', value: w}]
    : [{color: 'green', value: null}, {color: 'orange', value: w}, {color: 'red', value: c}];
}

const UP_MAPPINGS = [{type: 'value', options: {
  0: {text: 'DOWN', color: 'red', index: 0}, 1: {text: 'UP', color: 'green', index: 1}}}];

function targets(list) {
  return list.map((t, i) => ({
    datasource: DS,
    refId: String.fromCharCode(65 + i),
    expr: t.expr,
    legendFormat: t.legend || '__auto',
    range: !t.instant,
    instant: !!t.instant,
    format: t.format || 'time_series',
    ...(t.interval ? {interval: t.interval} : {}),
  }));
}

function base(type, title, description, list, o) {
  return {
    type, title, description, datasource: DS,
    gridPos: {h: o.h || 8, w: o.w || 12, x: 0, y: 0},
    targets: targets(list),
    fieldConfig: {
      defaults: {
        unit: o.unit,
        ...(o.min !== undefined ? {min: o.min} : {}),
        ...(o.max !== undefined ? {max: o.max} : {}),
        ...(o.decimals !== undefined ? {decimals: o.decimals} : {}),
        thresholds: {mode: 'absolute', steps: thresholdSteps(o.thresholds, o.lower)},
        mappings: o.mappings || [],
        color: {mode: o.thresholds && type !== 'timeseries' ? 'thresholds' : (type === 'timeseries' ? 'palette-classic' : 'thresholds')},
        ...(type === 'timeseries' ? {custom: {
          drawStyle: 'line', lineWidth: 1, fillOpacity: o.stack ? 30 : 10, showPoints: 'never',
          stacking: {mode: o.stack ? 'normal' : 'none', group: 'A'},
          lineInterpolation: o.stepped ? 'stepAfter' : 'linear', spanNulls: false,
          thresholdsStyle: {mode: o.thresholds ? 'line+area' : 'off'},
        }} : {}),
      },
      overrides: [],
    },
    ...(o.links ? {links: o.links} : {}),
  };
}

function timeseries(title, description, list, o = {}) {
  const p = base('timeseries', title, description, list, o);
  p.options = {legend: {displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max']},
    tooltip: {mode: 'multi', sort: 'desc'}};
  return p;
}

function stat(title, description, list, o = {}) {
  const p = base('stat', title, description, list, {h: 4, w: 4, ...o});
  p.options = {reduceOptions: {calcs: ['lastNotNull'], fields: '', values: false},
    colorMode: o.thresholds || o.mappings ? 'background' : 'none', graphMode: o.graph ? 'area' : 'none',
    textMode: o.textMode || 'auto', justifyMode: 'auto', orientation: 'auto'};
  return p;
}

function table(title, description, list, o = {}) {
  const p = base('table', title, description,
    list.map((t) => ({...t, instant: true, format: 'table'})), {h: 8, w: 12, ...o});
  p.options = {showHeader: true, cellHeight: 'sm', footer: {show: false, reducer: ['sum'], fields: ''}};
  p.transformations = [{id: 'organize', options: {excludeByName: {Time: true, __name__: true, job: true}, renameByName: {}}}];
  return p;
}

function text(title, content, o = {}) {
  return {type: 'text', title, description: o.description || title, gridPos: {h: o.h || 6, w: o.w || 8, x: 0, y: 0},
    options: {mode: 'markdown', content}, ...(o.links ? {links: o.links} : {})};
}

function row(title) {
  return {type: 'row', title, collapsed: false, gridPos: {h: 1, w: 24, x: 0, y: 0}, panels: []};
}

function link(title, url) {
  return {title, url, type: 'link', icon: 'doc', tooltip: title, tags: [], asDropdown: false,
    targetBlank: true, includeVars: false, keepTime: false};
}

// Places panels left to right, wrapping at 24 columns; rows start a new line. Assigns ids.
function layout(panels) {
  let x = 0, y = 0, lineH = 0, id = 1;
  for (const p of panels) {
    const g = p.gridPos;
    if (p.type === 'row' || x + g.w > 24) { y += lineH; x = 0; lineH = 0; }
    g.x = x; g.y = y;
    x += g.w; lineH = Math.max(lineH, g.h);
    if (p.type === 'row') { y += 1; x = 0; lineH = 0; }
    p.id = id++;
  }
  return panels;
}

function dashboard({uid, title, description, tags, variables = [], panels}) {
  return {
    uid, title, description, tags: ['thoth', ...tags], editable: false, graphTooltip: 1,
    timezone: '', time: {from: 'now-6h', to: 'now'}, refresh: '30s', schemaVersion: 39, version: 1,
    fiscalYearStartMonth: 0, liveNow: false,
    links: [{title: 'thoth dashboards', type: 'dashboards', tags: ['thoth'], asDropdown: true,
      icon: 'external link', tooltip: '', targetBlank: false, includeVars: true, keepTime: true}],
    annotations: {list: [{builtIn: 1, datasource: {type: 'grafana', uid: '-- Grafana --'}, enable: true,
      hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard'}]},
    templating: {list: [...standardVariables(), ...variables]},
    panels: layout(panels),
  };
}

module.exports = {DS, RI, sel, queryVar, timeseries, stat, table, text, row, link, dashboard, UP_MAPPINGS};
