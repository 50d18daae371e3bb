// One rule per error code of the memory service (SPEC §6), on
// thoth_memory_errors_total{code,source} (source = the log it was read from, or
// postgres/chroma/http when the exporter observed it). MEM-001 and MEM-005 page on any
// occurrence; the others warn above _config.memErrorsPerMinute.
//
// "Any occurrence": the counter's increase over 5 minutes, or, for a series that did not exist
// 5 minutes ago (the exporter only creates a code's series when it first sees it), its value:
// increase() alone cannot see the jump from nothing to the first count. That second part only
// counts when Prometheus already scraped the exporter 5 minutes ago, so a Prometheus started on
// an empty database does not page for counts the exporter gathered before.
local codes = import '../lib/error-codes.libsonnet';
local u = import '../lib/format.libsonnet';

function(c, s, on, alert)
  local anyOccurrence(code) = |||
    increase(thoth_memory_errors_total%(sc)s[5m]) > 0
    or (
      thoth_memory_errors_total%(sc)s > 0 unless thoth_memory_errors_total%(sc)s offset 5m
      and on (%(on)s) thoth_exporter_build_info%(s)s offset 5m
    )
  ||| % { sc: s(['code="%s"' % code]), s: s(), on: on() };
  local text(e) = std.asciiLower(e.description);
  [{
    name: 'thoth-memory-errors',
    rules: [
      if e.pages then
        alert(e.alert,
              'critical',
              '1m',
              anyOccurrence(e.code),
              '%s %s ({{ $labels.source }})' % [e.code, text(e)],
              '{{ $value | humanize }} %s (%s) errors from {{ $labels.source }} in the last 5 minutes. %s.'
              % [e.code, text(e), e.solution])
      else
        local limit = c.memErrorsPerMinute[e.code];
        alert(e.alert,
              'warning',
              '10m',
              'rate(thoth_memory_errors_total%s[5m]) * 60 > %s' % [s(['code="%s"' % e.code]), u.num(limit)],
              '%s %s at {{ printf `%%.1f` $value }}/min ({{ $labels.source }})' % [e.code, text(e)],
              '{{ $labels.source }} has reported %s (%s) at {{ printf `%%.1f` $value }} a minute for 10 minutes (warning above %s a minute). %s.'
              % [e.code, text(e), u.num(limit), e.solution])
      for e in codes
    ],
  }]
