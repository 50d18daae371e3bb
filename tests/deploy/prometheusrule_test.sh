#!/usr/bin/env bash
# The PrometheusRule generated from alerts/ (deploy/kubernetes/generate-prometheusrule.py) and the
# one the Helm chart renders hold exactly the rule groups of alerts/*.yml, in content; promtool
# accepts the groups as a rule file.
source "$(dirname "$0")/lib.sh"
need python3 promtool "$HELM"
cd "$SRC"
gen=deploy/kubernetes/generate-prometheusrule.py

# The generator on a fixture: two rule files, a promtool test file to skip, a multi-line
# expression and Prometheus templates that must survive unchanged.
mkdir -p "$TMP/alerts"
cat >"$TMP/alerts/b.rules.yml" <<'YAML'
groups:
  - name: thoth-b
    rules:
      - alert: RedisDown
        expr: redis_up == 0
        for: 1m
        labels: {severity: critical}
        annotations:
          summary: "Redis {{ $labels.target }} is down"
          description: |
            {{ $value }} for {{ $labels.target }}.
            Second line: "quoted" and 'single'.
YAML
cat >"$TMP/alerts/a.rules.yml" <<'YAML'
groups:
  - name: thoth-a
    interval: 30s
    rules:
      - record: job:pg_up:min
        expr: |
          min by (job) (
            pg_up
          )
      - alert: PgDown
        expr: job:pg_up:min == 0
        for: 2m
        labels: {severity: critical, team: "on"}
YAML
printf 'rule_files: [a.rules.yml]\nevaluation_interval: 1m\ntests: []\n' \
  >"$TMP/alerts/a.test.yml"

# same_groups RULE_DIR PROMETHEUSRULE_FILE: spec.groups equals the concatenated groups of the
# rule files (sorted by file name), compared as data.
same_groups() {
  python3 - "$1" "$2" <<'PY'
import glob, os, sys, yaml
rule_dir, resource = sys.argv[1], sys.argv[2]
want = []
for path in sorted(glob.glob(os.path.join(rule_dir, "*.yml")) +
                   glob.glob(os.path.join(rule_dir, "*.yaml"))):
    doc = yaml.safe_load(open(path))
    if isinstance(doc, dict) and "groups" in doc:
        want += doc["groups"] or []
docs = [d for d in yaml.safe_load_all(open(resource)) if d and d.get("kind") == "PrometheusRule"]
if len(docs) != 1:
    sys.exit(f"{resource}: {len(docs)} PrometheusRule objects")
got = docs[0]["spec"]["groups"] or []
if got != want:
    import difflib
    a = yaml.safe_dump(want, sort_keys=True).splitlines()
    b = yaml.safe_dump(got, sort_keys=True).splitlines()
    sys.exit("\n".join(difflib.unified_diff(a, b, "alerts", "PrometheusRule", lineterm="")))
print(f"{len(got)} groups, {sum(len(g.get('rules') or []) for g in got)} rules")
PY
}
check "generator on a fixture: two files, test file skipped" bash -c '
  "$1" --alerts-dir "$2/alerts" --label release=prom -o "$2/fixture.yaml" &&
  python3 -c "
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert [g[\"name\"] for g in d[\"spec\"][\"groups\"]] == [\"thoth-a\", \"thoth-b\"], d
assert d[\"metadata\"][\"labels\"][\"release\"] == \"prom\"
" "$2/fixture.yaml"' _ "$gen" "$TMP"
check "generator on a fixture: same groups as the files" same_groups "$TMP/alerts" "$TMP/fixture.yaml"
cp "$TMP/alerts/b.rules.yml" "$TMP/alerts/c.rules.yml"
check_fails "generator refuses a group name defined twice (negative control)" \
  "$gen" --alerts-dir "$TMP/alerts"
rm "$TMP/alerts/c.rules.yml"
# Changing a rule file must show up as a difference, or the comparison proves nothing.
sed -i 's/for: 2m/for: 3m/' "$TMP/alerts/a.rules.yml"
check_fails "a changed rule file differs from the old PrometheusRule (negative control)" \
  same_groups "$TMP/alerts" "$TMP/fixture.yaml"

# The real thing: alerts/ of the repository.
if [ -d alerts ]; then
  check "generate-prometheusrule.py on alerts/" "$gen" -o "$TMP/prometheusrule.yaml"
  check "generated PrometheusRule == alerts/*.yml (groups)" same_groups alerts "$TMP/prometheusrule.yaml"
  python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump({"groups": d["spec"]["groups"]}, open(sys.argv[2], "w"))
' "$TMP/prometheusrule.yaml" "$TMP/as-rule-file.yml"
  check "promtool check rules on the generated groups" promtool check rules "$TMP/as-rule-file.yml"
  "$HELM" template thoth deploy/helm/thoth-exporter 2>/dev/null \
    | python3 -c 'import sys,yaml; yaml.safe_dump_all([d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"]=="PrometheusRule"], sys.stdout)' \
    >"$TMP/helm-rule.yaml"
  check "Helm chart's PrometheusRule == alerts/*.yml (groups)" same_groups alerts "$TMP/helm-rule.yaml"
else
  fail "alerts/ is missing"
fi
finish
