#!/usr/bin/env python3
"""Turns the raw results of bench/run.sh (one JSON object a line) into the report.

Writes <out>/<date>.md (table: case, metric, ours, peer, ratio), <out>/<date>.json and, when
gnuplot is installed, <out>/<date>.svg (the ratios), and prints the table.

Ratio convention: ours / peer for costs (latency, CPU, memory, database statements), peer / ours
for throughput (lines per second), so below 1.0 always means thoth-exporter does better.
"""
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys


def fmt(v, digits=2):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return f"{v:,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}" if abs(v) >= 0.01 or v == 0 else f"{v:.2g}"


def ratio(ours, peer, higher_is_better=False):
    if ours is None or peer is None:
        return None
    if higher_is_better:
        return peer / ours if ours > 0 else None
    return ours / peer if peer > 0 else None


def main():
    raw, out = sys.argv[1], sys.argv[2]
    if raw.endswith(".json"):  # a previous report: draw it again from its raw records
        records = json.load(open(raw))["raw"]
    else:
        records = []
        for line in open(raw):
            try:
                records.append(json.loads(line))
            except ValueError:
                if line.strip():
                    print(f"report: a case produced no usable result: {line.strip()}",
                          file=sys.stderr)
    meta = next((r for r in records if r["kind"] == "meta"), {})
    meta_end = next((r for r in records if r["kind"] == "meta_end"), {})
    rows, cases = [], []

    def row(case, metric, ours, peer, higher_is_better=False, target=None, note=""):
        r = ratio(ours, peer, higher_is_better)
        rows.append({"case": case, "metric": metric, "ours": ours, "peer": peer, "ratio": r,
                     "target": target, "note": note})

    for r in records:
        kind = r["kind"]
        if kind == "pair":
            a, b = r["result"]["a"], r["result"].get("b")
            cases.append({"case": r["case"], "peer_name": r["peer"], "load": r["load"],
                          "ours": a, "peer": b})
            target = 0.5 if r["case"] == "all" else 1.0
            name = f'{r["case"]} (vs {r["peer"]})'
            row(name, "scrape median ms", a["median_ms"], b["median_ms"], target=target)
            row(name, "scrape p99 ms", a["p99_ms"], b["p99_ms"], target=target)
            row(name, f'CPU s / 1,000 scrapes (n={a["n"]})', a["cpu_s_per_1000"],
                b["cpu_s_per_1000"], target=target)
            row(name, "RSS MiB after the scrapes", a["rss_mib"], b["rss_mib"],
                target=20.0 if r["case"] == "all" else None)
            if "peak_rss_mib" in a and b and "peak_rss_mib" in b:
                row(name, "peak RSS MiB (since start)", a["peak_rss_mib"], b["peak_rss_mib"],
                    target=20.0 if r["case"] in ("all", "postgres 10k +tables") else None)
            if "bytes" in a and b and "bytes" in b:
                row(name, "bytes of one scrape", a["bytes"], b["bytes"],
                    note="how much each side reports (the work differs where this does)")
            row(name, "failed scrapes", a.get("errors", 0), b.get("errors", 0),
                note=f'of {a["n"]} each: transport error or HTTP status >= 400')
            if "pg_sessions" in r:
                row(name, "PostgreSQL sessions held (most at once)", r["pg_sessions"]["ours"],
                    r["pg_sessions"]["peer"], note="sampled every 20 ms")
        elif kind == "concurrency":
            cases.append({"case": f'concurrency {r["who"]}', "load": r["load"],
                          "db_statements": r["db_statements"], "result": r["result"],
                          "pg_sessions": r.get("pg_sessions"),
                          "seconds": r["seconds"]})
        elif kind == "chroma":
            cases.append(dict(r))
            cold = [float(x) * 1000 for x in r["cold_s"]]
            row(r["case"], "cold scrape ms (median of 3 fresh starts)", statistics.median(cold),
                None, note=f'{r["collections_seen"]} collections reported; no peer exporter')
            row(r["case"], "cached scrape median ms", r["cached"]["a"]["median_ms"], None)
            row(r["case"], "cached scrape p99 ms", r["cached"]["a"]["p99_ms"], None)
            row(r["case"], "RSS MiB", r["cached"]["a"]["rss_mib"], None)
        elif kind == "catchup":
            cases.append(dict(r))
            o, p = r["ours"], r["peer"]

            def lps(x):
                return x["lines"] / x["seconds"] if x and x["seconds"] > 0 else None

            def lpc(x):
                return x["lines"] / x["cpu_seconds"] if x and x["cpu_seconds"] > 0 else None

            name = f'{r["case"]} (vs {r.get("peer_name", "mtail")})'
            row(name, "lines/s catching up (wall)", lps(o), lps(p), higher_is_better=True,
                note=f'read {o["lines"]:,} vs {p["lines"]:,} lines' if p else "")
            row(name, "lines per CPU second", lpc(o), lpc(p), higher_is_better=True)
            row(name, "peak RSS MiB", o["peak_rss_mib"], p["peak_rss_mib"] if p else None)
        elif kind == "floor":
            cases.append(dict(r))
            row("postgres 10k tables (vs psql floor)",
                f'scrape median ms vs psql running the same {r["statements"]} statements',
                r["ours"]["a"]["median_ms"], statistics.median(r["psql_ms"]), target=1.5)

    # Concurrency rows: ours against postgres_exporter under the same load.
    conc = {c["case"].split(" ", 1)[1]: c for c in cases if c["case"].startswith("concurrency")}
    if "ours" in conc:
        o = conc["ours"]
        p = conc.get("postgres_exporter")
        name = "concurrency: 2 scrapers + 50 parallel requests, PostgreSQL"
        for group, label in (("scrape", "/metrics"), ("probe", "/probe (peer: /metrics)")):
            for q in ("p50_ms", "p99_ms"):
                row(name, f"{label} {q.replace('_ms', '')} ms", o["result"][group][q],
                    p["result"][group][q] if p else None)
        served_o = o["result"]["scrape"]["n"] + o["result"]["probe"]["n"]
        served_p = (p["result"]["scrape"]["n"] + p["result"]["probe"]["n"]) if p else None
        row(name, "requests served", served_o, served_p, higher_is_better=True)
        row(name, "statements PostgreSQL received", o["db_statements"],
            p["db_statements"] if p else None)
        row(name, "statements per request served", o["db_statements"] / max(served_o, 1),
            (p["db_statements"] / max(served_p, 1)) if p else None)
        if o.get("pg_sessions"):
            row(name, "PostgreSQL sessions held (most at once)", o["pg_sessions"]["ours"],
                p["pg_sessions"]["peer"] if p and p.get("pg_sessions") else None,
                note="sampled every 20 ms")

    date = datetime.date.today().isoformat()
    os.makedirs(out, exist_ok=True)
    header = (f"Run {date}, revision {meta.get('revision', '?')}, {meta.get('cores', '?')} cores, "
              f"load average at start {meta.get('start_load', '?')}, "
              f"at end {meta_end.get('end_load', '?')}.")
    lines = [f"# Benchmark {date}", "", header, "",
             "Ratio: ours ÷ peer for costs, peer ÷ ours for throughput; below 1.0 is better. "
             "Target: the goal the issue sets (—: none).", "",
             "| case | metric | ours | peer | ratio | target | note |",
             "|------|--------|-----:|-----:|------:|-------:|------|"]
    for r in rows:
        flag = ""
        if r["ratio"] is not None and r["target"] is not None and "RSS" not in r["metric"]:
            flag = " ✓" if r["ratio"] <= r["target"] else " ✗"
        if "RSS" in r["metric"] and r["target"] is not None and r["ours"] is not None:
            flag = " ✓" if r["ours"] <= r["target"] else " ✗"
        lines.append(f'| {r["case"]} | {r["metric"]} | {fmt(r["ours"])} | {fmt(r["peer"])} | '
                     f'{fmt(r["ratio"])}{flag} | {fmt(r["target"]) if r["target"] else "—"} | '
                     f'{r["note"]} |')
    table = "\n".join(lines) + "\n"

    # Summary: one line per pairing (ours / peer, ratio), for the README.
    summary = ["| case | median scrape ms | CPU s / 1,000 scrapes | RSS MiB |",
               "|------|-----------------:|----------------------:|--------:|"]

    def cell(case, metric_prefix):
        r = next((x for x in rows if x["case"] == case and x["metric"].startswith(metric_prefix)),
                 None)
        if r is None:
            return "—"
        if r["peer"] is None:
            return fmt(r["ours"])
        return f'{fmt(r["ours"])} / {fmt(r["peer"])} (**{fmt(r["ratio"])}**)'

    for c in dict.fromkeys(r["case"] for r in rows):
        if c.startswith("concurrency") or "floor" in c or c.startswith("log x") or \
                c.startswith("chroma"):
            continue
        summary.append(f'| {c} | {cell(c, "scrape median")} | {cell(c, "CPU")} | '
                       f'{cell(c, "RSS")} |')
    for r in rows:
        if "floor" in r["case"] or r["case"].startswith("log x") or \
                r["metric"].startswith("statements per request") or \
                r["metric"].startswith("cold scrape") or r["metric"].startswith("cached scrape median"):
            ours, peer = fmt(r["ours"]), fmt(r["peer"])
            ratio_ = f' (**{fmt(r["ratio"])}**)' if r["ratio"] is not None else ""
            summary.append(f'| {r["case"]}: {r["metric"]} | {ours} / {peer}{ratio_} | | |')
    summary_text = ("Summary: ours / peer (ratio)\n\n" + "\n".join(summary) + "\n\n")
    table = table.replace("| case | metric |", summary_text + "Every measurement:\n\n| case | metric |", 1)

    fmt_ = os.environ.get("CHART_FORMAT", "svg")  # svg, or png (pngcairo)
    svg = os.path.join(out, f"{date}.{fmt_}")
    charted = [r for r in rows if r["ratio"] is not None and
               not r["metric"].startswith(("bytes of", "failed"))]
    if charted and shutil.which("gnuplot"):
        data = os.path.join(out, f".{date}.dat")
        with open(data, "w") as f:
            for r in charted:
                label = f'{r["case"].split(" (")[0]}: {r["metric"].split(" (")[0]}'
                f.write(f'"{label}" {r["ratio"]:.4f}\n')
        script = f"""
set terminal {"svg dynamic" if fmt_ == "svg" else "pngcairo"} size 900,{200 + 18 * len(charted)} font 'sans,10'
set output '{svg}'
set title 'thoth-exporter vs peers: ratio (below 1 = thoth-exporter better), log scale'
set style fill solid 0.7
set key off
set logscale x 10
set xrange [0.01:100]
set grid xtics
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb 'red'
set ytics nomirror
set yrange [-0.5:{len(charted) - 0.5}] reverse
plot '{data}' using ($2 > 0.01 ? $2 : 0.01):0:(0.01):($2 > 0.01 ? $2 : 0.01):($0 - 0.4):($0 + 0.4):ytic(1) with boxxyerror lc rgb '#3572b0'
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=False)
        os.remove(data)
        if os.path.exists(svg):
            table += f"\n![ratios]({date}.{fmt_})\n"

    with open(os.path.join(out, f"{date}.md"), "w") as f:
        f.write(table)
    with open(os.path.join(out, f"{date}.json"), "w") as f:
        json.dump({"date": date, "meta": meta, "meta_end": meta_end, "rows": rows,
                   "cases": cases, "raw": records}, f, indent=1)
    print(table)


if __name__ == "__main__":
    main()
