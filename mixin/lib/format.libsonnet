// How numbers, durations and selectors are written into the alerts, the recording rules and the
// dashboards.
{
  // A number as PromQL and people write it: 0.8, 300, 5000000 (never 0.80000000000000004).
  num(x)::
    if std.floor(x) == x then '%d' % x
    else
      local s = '%.6f' % x;
      local trim(t) = if std.endsWith(t, '0') then trim(std.substr(t, 0, std.length(t) - 1)) else t;
      trim(s),

  round(x):: std.floor(x + 0.5),

  // 0.8 -> '80', 0.01 -> '1' (a ratio as a percentage, without the sign).
  pct(x):: self.num(self.round(x * 100 * 1e6) / 1e6),

  // Seconds as a Prometheus duration: 0.5 -> '500ms', 2 -> '2s', 300 -> '5m', 21600 -> '6h'.
  dur(s)::
    if s < 1 then self.num(self.round(s * 1000)) + 'ms'
    else if s % 3600 == 0 then self.num(s / 3600) + 'h'
    else if s % 60 == 0 then self.num(s / 60) + 'm'
    else self.num(s) + 's',

  // Seconds for people: 0.5 -> '500 ms', 2 -> '2 s', 300 -> '5 minutes', 21600 -> '6 h'.
  durText(s)::
    if s < 1 then self.num(self.round(s * 1000)) + ' ms'
    else if s % 3600 == 0 then self.num(s / 3600) + ' h'
    else if s % 60 == 0 then (if s == 60 then '1 minute' else self.num(s / 60) + ' minutes')
    else self.num(s) + ' s',

  // 1000000 -> '1M', 2500 -> '2.5k'.
  count(x)::
    if x >= 1e6 then self.num(x / 1e6) + 'M'
    else if x >= 1e3 then self.num(x / 1e3) + 'k'
    else self.num(x),

  // The matchers of a selector: cfgSelector (may be empty) and extra ones, in braces; '' when
  // there are none, so that an empty default renders `pg_up`, not `pg_up{}`.
  selector(cfgSelector, extra=[])::
    local m = std.filter(function(x) x != '', [cfgSelector] + extra);
    if m == [] then '' else '{' + std.join(',', m) + '}',

  // 'job, instance' from ['job', 'instance'] (+ more).
  labels(list):: std.join(', ', list),
}
