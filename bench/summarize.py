#!/usr/bin/env python3
"""Print a Markdown table (one row per scenario and side) from sidebyside.py
JSON results: records (spans or RUM beacons) per CPU-second of the collector
and of the box (collector + its ClickHouse, merges included), ClickHouse CPU
per row, records/s landed, the Jamscope/Rotel ratios, loss, peak RSS,
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


def fmt(x, spec=",.0f"):
    return "-" if x is None else format(x, spec)


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
    print("| scenario | side | records/s accepted | rows landed / accepted | records per CPU-s | CPU-s per 1M records "
          "| ClickHouse µs / row | box records per CPU-s | records/s landed (wall) | peak RSS MiB | p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
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
                  f"| {eff:,.0f} | {r['cpu_s_per_million_spans']} | {fmt(r.get('clickhouse_us_per_row'), '.2f')} "
                  f"| {fmt(r.get('box_spans_per_cpu_s'))} | {r['e2e_rows_per_s']:,} | {r['peak_rss_mib']} "
                  f"| {r['latency_ms']['p50']} / {r['latency_ms']['p99']} |")
        sides = list(dict.fromkeys(r["side"] for r in data["results"]))
        if rounds:
            for s in sides:
                m = lambda get: median_of(data["results"], s, get)
                print(f"| {name} | {s} (median) | {fmt(m(lambda r: r['accepted_spans_per_s']))} | "
                      f"| {fmt(m(spans_per_cpu_s))} | | {fmt(m(lambda r: r.get('clickhouse_us_per_row')), '.2f')} "
                      f"| {fmt(m(lambda r: r.get('box_spans_per_cpu_s')))} | {fmt(m(lambda r: r['e2e_rows_per_s']))} "
                      f"| {fmt(m(lambda r: r['peak_rss_mib']), '.1f')} | |")
        for a, b in (("jamscope", "rotel"), ("jamscope-b", "jamscope"), ("jamscope-b", "rotel")):
            if a not in sides or b not in sides:
                continue
            label = f"{a} / {b}{' (medians of rounds)' if rounds else ''}"
            for what, get in (("spans per collector CPU-s", spans_per_cpu_s),
                              ("box spans per CPU-s (collector + ClickHouse)",
                               lambda r: r.get("box_spans_per_cpu_s")),
                              ("spans/s landed (wall)", lambda r: r["e2e_rows_per_s"]),
                              ("ClickHouse CPU per row", lambda r: r.get("clickhouse_us_per_row"))):
                x, y = median_of(data["results"], a, get), median_of(data["results"], b, get)
                if x and y:
                    ratios.append((name, f"{label}: {what}", x / y))
        j = side(data["results"], "jamscope")
        d = side(data["results"], "jamscope-durable")
        if j and d and spans_per_cpu_s(j):
            ratios.append((name, "durable / default: spans per collector CPU-s", spans_per_cpu_s(d) / spans_per_cpu_s(j)))
        on = median_of(data["results"], "jamscope-rules", spans_per_cpu_s)
        off = median_of(data["results"], "jamscope-norules", spans_per_cpu_s)
        if on and off:
            ratios.append((name, f"default alert rules / alerting off (medians of rounds: "
                                 f"{on:,.0f} / {off:,.0f}) spans per collector CPU-s", on / off))
            # The same, round by round (each round runs both sides back to back).
            pairs = [(r, o) for r in data["results"] if r["side"] == "jamscope-rules"
                     for o in data["results"] if o["side"] == "jamscope-norules"
                     and o.get("round") == r.get("round")]
            per_round = [spans_per_cpu_s(r) / spans_per_cpu_s(o) for r, o in pairs]
            if per_round:
                ratios.append((name, "default alert rules / alerting off, median of the rounds' "
                                     f"ratios ({', '.join(f'{x:.2f}' for x in per_round)}) spans per collector CPU-s",
                               statistics.median(per_round)))
    if ratios:
        print()
        for name, what, ratio in ratios:
            print(f"- {name}: {what} = {ratio:.2f}x")
    if alerts:
        print()
        for name, data in alerts:
            time_to_alert(name, data)


if __name__ == "__main__":
    main(sys.argv[1:])
