// What `make mixin` writes into the repository: the rule groups of prometheusAlerts and
// prometheusRules split into the alerts/*.rules.yml files users know, and the dashboards of
// grafanaDashboards as dashboards/*.json. mixin/render.py runs it and writes the files.
//
// `config` (a top-level argument) is merged into _config: render.py --config '{...}'.
function(config={})
  local mixin = (import 'mixin.libsonnet') + { _config+:: config };
  local groups = mixin.prometheusAlerts.groups + mixin.prometheusRules.groups;
  // File -> [groups], with the file's header comment. Every group lands in exactly one file.
  local files = {
    'exporter.rules.yml': {
      groups: ['thoth-exporter'],
      header: |||
        The exporter itself: scraped, complete, and running on a good configuration.
        Prometheus scrapes the exporter with a job named thoth-exporter* (deploy/prometheus has
        thoth-exporter, thoth-exporter-tls, thoth-exporter-file-sd).
      |||,
    },
    'postgres.rules.yml': {
      groups: ['thoth-postgres'],
      header: 'PostgreSQL (the memory service database).',
    },
    'redis.rules.yml': { groups: ['thoth-redis'], header: 'Redis (cache and rate limiting).' },
    'chroma.rules.yml': { groups: ['thoth-chroma'], header: 'ChromaDB (vector store).' },
    'backup.rules.yml': {
      groups: ['thoth-backup'],
      header: |||
        Backups as the operations manual's script makes them (postgres_<ts>.dump, chroma_<ts>.tar.gz),
        verified by the exporter's backup collector. Age and absence: BackupTooOld / BackupMissing in
        services.rules.yml.
      |||,
    },
    'services.rules.yml': {
      groups: ['thoth-services', 'thoth-symptoms'],
      header: |||
        HTTP services (health probes and access logs), containers, host memory, disks and backups;
        the symptoms of the operations manuals (restarts, OOM kills, process groups, certificates).
      |||,
    },
    'json.rules.yml': {
      groups: ['thoth-json'],
      header: 'JSON statistics endpoints read by the json collector.',
    },
    'memory-errors.rules.yml': {
      groups: ['thoth-memory-errors'],
      header: |||
        One rule per error code of the memory service (SPEC §6), on thoth_memory_errors_total{code,source}.
        MEM-001 and MEM-005 page on any occurrence; the others warn on a sustained rate.
      |||,
    },
    'logs.rules.yml': {
      groups: ['thoth-logs'],
      header: "The logs the exporter reads: a path that matches no file, or lines that mostly don't parse.",
    },
    'recording.rules.yml': {
      groups: ['thoth-recording'],
      header: |||
        Recording rules: the ratios the dashboards show in several places (prometheusRules of the
        mixin). Load them with the alert rules; the dashboards read their series.
      |||,
    },
  };
  local mapped = std.flattenArrays([files[f].groups for f in std.objectFields(files)]);
  local names = [g.name for g in groups];
  assert std.set(mapped) == std.set(names) && std.length(mapped) == std.length(names) :
         "render.jsonnet: the groups %s and the files' groups %s differ" % [names, mapped];
  {
    alerts: {
      [f]: {
        header: files[f].header,
        groups: [g for g in groups if std.member(files[f].groups, g.name)],
      }
      for f in std.objectFields(files)
    },
    dashboards: mixin.grafanaDashboards,
    config: mixin._config,
  }
