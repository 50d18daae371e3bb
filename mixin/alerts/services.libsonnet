// HTTP services (health probes and access logs), containers, host memory, disks and backups;
// and the symptoms the operations manuals list. A function of the config and the helpers of
// alerts.libsonnet.
local u = import '../lib/format.libsonnet';

function(c, s, on, alert)
  local t = c.thresholds;
  // [severity, level of a {warning, critical} pair, text after the level]
  local levels(pair, warningTail, criticalTail) = [
    ['warning', pair.warning, warningTail],
    ['critical', pair.critical, criticalTail],
  ];
  [
    {
      name: 'thoth-services',
      rules: [
        // Only targets a failure should page for: thoth_probe_expected 0 marks a service never
        // seen up since the exporter started, nor any service of its layout (an operator runs
        // v0.1 or v0.2, not both; docs/collectors/http.md). Matched on job, instance and target,
        // so one exporter's state never silences another's probe; probes without the series
        // (ad-hoc /probe?target=URL, blackbox_exporter) still page.
        alert('ServiceDown',
              'critical',
              '2m',
              '(probe_success%s unless on(%s) thoth_probe_expected%s == 0) == 0'
              % [s(), on(['target']), s()],
              'Service {{ $labels.target }} fails its health check',
              'The health probe of {{ $labels.target }} has failed for 2 minutes (unreachable, wrong status or unhealthy body).'),
      ] + [
        alert('HealthProbeSlow',
              l[0],
              '5m',
              'probe_duration_seconds%s > %s' % [s(), u.num(l[1])],
              'Health check of {{ $labels.target }} takes {{ $value | humanizeDuration }}',
              'The health probe of {{ $labels.target }} has taken {{ $value | humanizeDuration }} for 5 minutes (%s above %s).'
              % [l[0], u.dur(l[1])])
        for l in levels(t.api_latency_seconds, '', '')
      ] + [
        // p95 of request durations from the access log; no traffic gives NaN, which never alerts.
        alert('ApiLatencyHigh',
              l[0],
              '5m',
              'histogram_quantile(0.95, rate(thoth_http_request_duration_seconds_bucket%s[5m])) > %s'
              % [s(), u.num(l[1])],
              'p95 latency of {{ $labels.log }} is {{ $value | humanizeDuration }}',
              '95 %% of the requests in access log {{ $labels.log }} completed within {{ $value | humanizeDuration }} over the last 5 minutes, for 5 minutes (%s above %s).'
              % [l[0], u.dur(l[1])])
        for l in levels(t.api_latency_seconds, '', '')
      ] + [
        // 5xx responses over all responses; no traffic never divides into an alert.
        alert('ErrorRateHigh',
              l[0],
              '5m',
              |||
                sum without (method, status) (rate(thoth_http_requests_total%(s5xx)s[5m]))
                / (sum without (method, status) (rate(thoth_http_requests_total%(s)s[5m])) > 0)
                > %(v)s
              ||| % { s5xx: s(['status=~"5.."']), s: s(), v: u.num(l[1]) },
              '{{ $value | humanizePercentage }} of the requests in {{ $labels.log }} fail',
              '{{ $value | humanizePercentage }} of the requests logged in {{ $labels.log }} have answered 5xx over the last 5 minutes, for 5 minutes (%s above %s %%).'
              % [l[0], u.pct(l[1])])
        for l in levels(t.error_rate_ratio, '', '')
      ] + [
        // Working set against the container's limit (0 = unlimited: no alert).
        alert('ContainerMemoryHigh',
              l[0],
              '5m',
              'container_memory_working_set_bytes%s / (container_spec_memory_limit_bytes%s > 0) > %s'
              % [s(), s(), u.num(l[1])],
              'Container {{ $labels.name }} uses {{ $value | humanizePercentage }} of its memory limit',
              'The working set of container {{ $labels.name }} has been {{ $value | humanizePercentage }} of its memory limit for 5 minutes (%s above %s %%)%s'
              % [l[0], u.pct(l[1]), l[2]])
        for l in levels(t.memory_usage_ratio, '.', ': the OOM killer is near.')
      ] + [
        alert('HostMemoryHigh',
              l[0],
              '5m',
              '1 - node_memory_MemAvailable_bytes%s / (node_memory_MemTotal_bytes%s > 0) > %s'
              % [s(), s(), u.num(l[1])],
              'Host {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory',
              'The host of {{ $labels.instance }} has used {{ $value | humanizePercentage }} of its memory for 5 minutes (%s above %s %%).'
              % [l[0], u.pct(l[1])])
        for l in levels(t.memory_usage_ratio, '', '')
      ] + [
        alert('DiskSpaceLow',
              l[0],
              '5m',
              'node_filesystem_avail_bytes%s / (node_filesystem_size_bytes%s > 0) < %s'
              % [s(), s(), u.num(l[1])],
              '{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} space left',
              'Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) has had only {{ $value | humanizePercentage }} of its space available for 5 minutes (%s below %s %%)%s'
              % [l[0], u.pct(l[1]), l[2]])
        for l in levels(t.disk_free_ratio, '.', ': writes, WAL and backups will fail.')
      ] + [
        // The RPO. A timestamp of 0 (no backup file) is BackupMissing's case.
        alert('BackupTooOld',
              'critical',
              '5m',
              'time() - thoth_backup_last_timestamp_seconds%s > %s and thoth_backup_last_timestamp_seconds%s > 0'
              % [s(), u.num(t.backup_max_age_seconds), s()],
              'Newest {{ $labels.backup }} backup is {{ $value | humanizeDuration }} old',
              'The newest {{ $labels.backup }} backup was written {{ $value | humanizeDuration }} ago, beyond the %s recovery point objective.'
              % u.dur(t.backup_max_age_seconds)),
        alert('BackupMissing',
              'critical',
              '15m',
              'thoth_backup_files%s == 0' % s(),
              'No {{ $labels.backup }} backup exists',
              'The {{ $labels.backup }} backup glob has matched no file for 15 minutes: there is nothing to restore from.'),
      ],
    },

    // The symptoms the operations manuals list: services that restart repeatedly or are
    // OOM-killed ("Memory Service Crashes"), process groups below their minimum, and TLS
    // certificates of https probes near expiry (certbot renews at 30 days left).
    {
      name: 'thoth-symptoms',
      rules: [
        // The oldest process of a group changes when it (re)starts: more than 2 changes in 15
        // minutes is a crash loop (or a supervisor recycling workers that fast).
        alert('ProcessRestarting',
              'warning',
              '0m',
              'changes(namedprocess_namegroup_oldest_start_time_seconds%s[15m]) > %s'
              % [s(), u.num(c.restartsIn15m)],
              'Process group {{ $labels.groupname }} restarts repeatedly',
              'The oldest process of group {{ $labels.groupname }} on {{ $labels.instance }} has changed {{ $value }} times in 15 minutes: the service keeps restarting (crash loop, OOM kills or failed health checks).'),
        // A container that restarts gets a new cgroup, whose CPU counter starts again from 0.
        alert('ContainerRestarting',
              'warning',
              '0m',
              'resets(container_cpu_usage_seconds_total%s[15m]) > %s' % [s(), u.num(c.restartsIn15m)],
              'Container {{ $labels.name }} restarts repeatedly',
              'Container {{ $labels.name }} on {{ $labels.instance }} has restarted {{ $value }} times in 15 minutes.'),
        alert('ContainerOOMKilled',
              'critical',
              '0m',
              'increase(container_oom_events_total%s[15m]) > 0' % s(),
              'Container {{ $labels.name }} was killed for lack of memory',
              'The OOM killer has struck {{ $value | humanize }} times in container {{ $labels.name }} on {{ $labels.instance }} in the last 15 minutes.'),
        // Both series come from one scrape of one exporter: they match on every label.
        alert('ProcessGroupBelowMinimum',
              'critical',
              '2m',
              'namedprocess_namegroup_num_procs%s < thoth_process_min_procs%s' % [s(), s()],
              'Process group {{ $labels.groupname }} has too few processes',
              'Group {{ $labels.groupname }} on {{ $labels.instance }} has had {{ $value }} processes for 2 minutes, below its configured min_processes.'),
      ] + [
        alert('TlsCertificateExpiring',
              l[0],
              '10m',
              'probe_ssl_earliest_cert_expiry%s - time() < %s * 86400' % [s(), u.num(l[1])],
              'TLS certificate of {{ $labels.target }} expires in {{ $value | humanizeDuration }}',
              'The certificate chain presented by {{ $labels.target }} expires in {{ $value | humanizeDuration }} (%s below %s days%s'
              % [l[0], u.num(l[1]), l[2]])
        for l in levels(c.tlsExpiryDays,
                        '; certbot renews at 30 days left, so renewal has failed).',
                        '): clients will refuse the service.')
      ],
    },
  ]
