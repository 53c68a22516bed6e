#!/usr/bin/env python3
"""Print a Markdown table (one row per scenario and side) from sidebyside.py
JSON results: records (spans or RUM beacons) per CPU-second, the Jamscope/Rotel ratio, loss, peak RSS,
latency. Usage: summarize.py RESULT.json [...]"""
import json
import sys


def side(results, name):
    return next((r for r in results if r["side"] == name), None)


def spans_per_cpu_s(r):
    return r["rows_landed"] / r["cpu_s_total"] if r and r.get("cpu_s_total") else None


def main(paths):
    print("| scenario | side | records/s accepted | rows landed / accepted | records per CPU-s | CPU-s per 1M records | peak RSS MiB | p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = []
    for path in paths:
        data = json.load(open(path))
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        for r in data["results"]:
            eff = spans_per_cpu_s(r)
            print(f"| {name} | {r['side']} | {r['accepted_spans_per_s']:,} | {r['rows_landed']:,} / {r['accepted_spans']:,} "
                  f"| {eff:,.0f} | {r['cpu_s_per_million_spans']} | {r['peak_rss_mib']} "
                  f"| {r['latency_ms']['p50']} / {r['latency_ms']['p99']} |")
        j, o = side(data["results"], "jamscope"), side(data["results"], "rotel")
        if j and o and spans_per_cpu_s(o):
            ratios.append((name, "Jamscope / Rotel", spans_per_cpu_s(j) / spans_per_cpu_s(o)))
        d = side(data["results"], "jamscope-durable")
        if j and d and spans_per_cpu_s(j):
            ratios.append((name, "durable / default", spans_per_cpu_s(d) / spans_per_cpu_s(j)))
    if ratios:
        print()
        for name, what, ratio in ratios:
            print(f"- {name}: {what} spans per CPU-second = {ratio:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
