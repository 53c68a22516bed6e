#!/usr/bin/env python3
"""Print a Markdown table (one row per scenario and side) from sidebyside.py
JSON results: records (spans or RUM beacons) per CPU-second, the Jamscope/Rotel ratio, loss, peak RSS,
latency; for scenarios run in several rounds, the medians. time_to_alert.py's
result (it has `trials`) is summarised after the table.
Usage: summarize.py RESULT.json [...]"""
import json
import statistics
import sys


def side(results, name):
    return next((r for r in results if r["side"] == name), None)


def spans_per_cpu_s(r):
    return r["rows_landed"] / r["cpu_s_total"] if r and r.get("cpu_s_total") else None


def median_of(results, name, get):
    xs = [get(r) for r in results if r["side"] == name]
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def time_to_alert(name, data):
    s = data["summary"]
    print(f"- {name}: {s['email_ms']['n']} trials, from the export to the email median "
          f"{s['email_ms']['median']} ms (p90 {s['email_ms']['p90']}, max {s['email_ms']['max']}), "
          f"to the webhook median {s['webhook_ms']['median']} ms (p90 {s['webhook_ms']['p90']}, "
          f"max {s['webhook_ms']['max']}); target < {data['target_ms']} ms")


def main(paths):
    alerts = []
    print("| scenario | side | records/s accepted | rows landed / accepted | records per CPU-s | CPU-s per 1M records | peak RSS MiB | p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = []
    for path in paths:
        data = json.load(open(path))
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        if "trials" in data:
            alerts.append((name, data))
            continue
        rounds = data.get("repeat", 1) > 1
        data["results"] = [r for r in data["results"] if "error" not in r]
        for r in data["results"]:
            eff = spans_per_cpu_s(r)
            side_name = f"{r['side']} (round {r['round']})" if rounds else r["side"]
            print(f"| {name} | {side_name} | {r['accepted_spans_per_s']:,} | {r['rows_landed']:,} / {r['accepted_spans']:,} "
                  f"| {eff:,.0f} | {r['cpu_s_per_million_spans']} | {r['peak_rss_mib']} "
                  f"| {r['latency_ms']['p50']} / {r['latency_ms']['p99']} |")
        j, o = side(data["results"], "jamscope"), side(data["results"], "rotel")
        if j and o and spans_per_cpu_s(o):
            ratios.append((name, "Jamscope / Rotel", spans_per_cpu_s(j) / spans_per_cpu_s(o)))
        d = side(data["results"], "jamscope-durable")
        if j and d and spans_per_cpu_s(j):
            ratios.append((name, "durable / default", spans_per_cpu_s(d) / spans_per_cpu_s(j)))
        on = median_of(data["results"], "jamscope-rules", spans_per_cpu_s)
        off = median_of(data["results"], "jamscope-norules", spans_per_cpu_s)
        if on and off:
            ratios.append((name, f"default alert rules / alerting off (medians of rounds: "
                                 f"{on:,.0f} / {off:,.0f})", on / off))
            # The same, round by round (each round runs both sides back to back).
            pairs = [(r, o) for r in data["results"] if r["side"] == "jamscope-rules"
                     for o in data["results"] if o["side"] == "jamscope-norules"
                     and o.get("round") == r.get("round")]
            per_round = [spans_per_cpu_s(r) / spans_per_cpu_s(o) for r, o in pairs]
            if per_round:
                ratios.append((name, "default alert rules / alerting off, median of the rounds' "
                                     f"ratios ({', '.join(f'{x:.2f}' for x in per_round)})",
                               statistics.median(per_round)))
    if ratios:
        print()
        for name, what, ratio in ratios:
            print(f"- {name}: {what} spans per CPU-second = {ratio:.2f}x")
    if alerts:
        print()
        for name, data in alerts:
            time_to_alert(name, data)


if __name__ == "__main__":
    main(sys.argv[1:])
