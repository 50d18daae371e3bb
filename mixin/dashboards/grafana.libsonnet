// Builders for Grafana dashboard JSON (classic model, schemaVersion 39), following the
// conventions of the monitoring mixins and grafana/dashboard-linter: a `datasource` variable,
// `job` and `instance` variables, every query on `$datasource`, units on every panel, threshold
// lines, `$__rate_interval` in rate(), counters only inside rate()/increase(). Plain jsonnet in
// place of grafonnet (not packaged in Debian). A function of the mixin's _config.
local u = import '../lib/format.libsonnet';

function(c) {
  DS:: { type: 'prometheus', uid: '${datasource}' },
  RI:: '$__rate_interval',

  // The label matchers every selector carries (job, instance, the configured selector), and up
  // to two extra ones.
  sel(a=null, b=null)::
    u.selector('job=~"$job",instance=~"$instance"',
               [c.thothSelector] + [x for x in [a, b] if x != null && x != '']),

  queryVar(name, label, query, opts={}):: {
    type: 'query',
    name: name,
    label: label,
    datasource: $.DS,
    query: query,
    refresh: 2,
    includeAll: std.get(opts, 'includeAll', true),
    multi: std.get(opts, 'multi', true),
    allValue: '.+',
    sort: 1,
    regex: '',
    hide: 0,
  },

  standardVariables():: [
    { type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', refresh: 1, regex: '', hide: 0 },
    $.queryVar('job', 'job', 'label_values(thoth_exporter_build_info%s, job)' % u.selector(c.thothSelector)),
    $.queryVar('instance',
               'instance',
               'label_values(thoth_exporter_build_info%s, instance)' % u.selector(c.thothSelector, ['job=~"$job"'])),
  ],

  // [warning, critical] above which a value is bad (or below, with lower: true); one level: red.
  thresholdSteps(levels, lower)::
    if levels == null then [{ color: 'green', value: null }]
    else if lower then
      if std.length(levels) == 1 then [{ color: 'orange', value: null }, { color: 'green', value: levels[0] }]
      else [{ color: 'red', value: null }, { color: 'orange', value: levels[1] }, { color: 'green', value: levels[0] }]
    else
      if std.length(levels) == 1 then [{ color: 'green', value: null }, { color: 'red', value: levels[0] }]
      else [{ color: 'green', value: null }, { color: 'orange', value: levels[0] }, { color: 'red', value: levels[1] }],

  // A {warning, critical} pair as [warning, critical]; a single number as [number].
  levels(x):: if std.isObject(x) then [x.warning, x.critical] else [x],

  UP_MAPPINGS:: [{ type: 'value', options: {
    '0': { text: 'DOWN', color: 'red', index: 0 },
    '1': { text: 'UP', color: 'green', index: 1 },
  } }],
  // A 0/1 series shown as two words.
  mappings01(zero, zeroColor, one, oneColor):: [{ type: 'value', options: {
    '0': { text: zero, color: zeroColor, index: 0 },
    '1': { text: one, color: oneColor, index: 1 },
  } }],

  targets(list):: [
    local t = list[i];
    local instant = std.get(t, 'instant', false);
    {
      datasource: $.DS,
      refId: std.char(65 + i),
      expr: t.expr,
      legendFormat: std.get(t, 'legend', '__auto'),
      range: !instant,
      instant: instant,
      format: std.get(t, 'format', 'time_series'),
    } + (if std.objectHas(t, 'interval') then { interval: t.interval } else {})
    for i in std.range(0, std.length(list) - 1)
  ],

  local opt(o, k) = if std.objectHas(o, k) && o[k] != null then { [k]: o[k] } else {},
  local has(o, k) = std.objectHas(o, k) && o[k] != null && o[k] != false,

  base(type, title, description, list, o):: {
    type: type,
    title: title,
    description: description,
    datasource: $.DS,
    gridPos: { h: std.get(o, 'h', 8), w: std.get(o, 'w', 12), x: 0, y: 0 },
    targets: $.targets(list),
    fieldConfig: {
      defaults: { unit: o.unit } + opt(o, 'min') + opt(o, 'max') + opt(o, 'decimals') + {
        thresholds: {
          mode: 'absolute',
          steps: $.thresholdSteps(std.get(o, 'thresholds', null), has(o, 'lower')),
        },
        mappings: std.get(o, 'mappings', []),
        color: { mode: if type == 'timeseries' then 'palette-classic' else 'thresholds' },
      } + (if type == 'timeseries' then {
             custom: {
               drawStyle: 'line',
               lineWidth: 1,
               fillOpacity: if has(o, 'stack') then 30 else 10,
               showPoints: 'never',
               stacking: { mode: if has(o, 'stack') then 'normal' else 'none', group: 'A' },
               lineInterpolation: if has(o, 'stepped') then 'stepAfter' else 'linear',
               spanNulls: false,
               thresholdsStyle: { mode: if has(o, 'thresholds') then 'line+area' else 'off' },
             },
           } else {}),
      overrides: [],
    },
  } + opt(o, 'links'),

  timeseries(title, description, list, o={})::
    $.base('timeseries', title, description, list, o) + {
      options: {
        legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },

  stat(title, description, list, o={})::
    local oo = { h: 4, w: 4 } + o;
    $.base('stat', title, description, list, oo) + {
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: if has(o, 'thresholds') || has(o, 'mappings') then 'background' else 'none',
        graphMode: if has(o, 'graph') then 'area' else 'none',
        textMode: std.get(o, 'textMode', 'auto'),
        justifyMode: 'auto',
        orientation: 'auto',
      },
    },

  table(title, description, list, o={})::
    $.base('table',
           title,
           description,
           [t { instant: true, format: 'table' } for t in list],
           { h: 8, w: 12 } + o) + {
      options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
      transformations: [{
        id: 'organize',
        options: { excludeByName: { Time: true, __name__: true, job: true }, renameByName: {} },
      }],
    },

  text(title, content, o={}):: {
    type: 'text',
    title: title,
    description: std.get(o, 'description', title),
    gridPos: { h: std.get(o, 'h', 6), w: std.get(o, 'w', 8), x: 0, y: 0 },
    options: { mode: 'markdown', content: content },
  } + opt(o, 'links'),

  row(title):: { type: 'row', title: title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: 0 }, panels: [] },

  link(title, url):: {
    title: title,
    url: url,
    type: 'link',
    icon: 'doc',
    tooltip: title,
    tags: [],
    asDropdown: false,
    targetBlank: true,
    includeVars: false,
    keepTime: false,
  },

  // Places panels left to right, wrapping at 24 columns; rows start a new line. Assigns ids.
  layout(panels)::
    local step(st, p) =
      local g = p.gridPos;
      local wrap = p.type == 'row' || st.x + g.w > 24;
      local y = if wrap then st.y + st.lineH else st.y;
      local x = if wrap then 0 else st.x;
      local lineH = if wrap then 0 else st.lineH;
      local placed = p { gridPos+: { x: x, y: y }, id: std.length(st.out) + 1 };
      if p.type == 'row' then { x: 0, y: y + 1, lineH: 0, out: st.out + [placed] }
      else { x: x + g.w, y: y, lineH: std.max(lineH, g.h), out: st.out + [placed] };
    std.foldl(step, panels, { x: 0, y: 0, lineH: 0, out: [] }).out,

  dashboard(uid, title, description, tags, variables=[], panels=[]):: {
    uid: c.dashboardUIDPrefix + uid,
    title: c.dashboardNamePrefix + title,
    description: description,
    tags: c.dashboardTags + tags,
    editable: false,
    graphTooltip: 1,
    timezone: '',
    time: { from: c.dashboardTimeFrom, to: 'now' },
    refresh: c.dashboardRefresh,
    schemaVersion: 39,
    version: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [{
      title: 'thoth dashboards',
      type: 'dashboards',
      tags: c.dashboardTags,
      asDropdown: true,
      icon: 'external link',
      tooltip: '',
      targetBlank: false,
      includeVars: true,
      keepTime: true,
    }],
    annotations: { list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }] },
    templating: { list: $.standardVariables() + variables },
    panels: $.layout(panels),
  },
}
