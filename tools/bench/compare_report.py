"""The tables of tools/bench/compare: medians per (target, scenario, client)
and kwire's ratio to every peer."""
import statistics
import sys

CLIENTS = ("kwire", "librdkafka", "rdk-debian", "franz-go", "java")
PEERS = CLIENTS[1:]
SHORT = {"kwire": "kwire", "librdkafka": "rdk", "rdk-debian": "rdk2.0", "franz-go": "franz", "java": "java"}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["target"], r["scenario"]), {}).setdefault(r["client"], []).append(r)
    rows = []
    for (target, scenario), by_client in groups.items():
        row = {"target": target, "scenario": scenario, "clients": {}}
        for client, rs in by_client.items():
            row["clients"][client] = {
                "runs": len(rs),
                "records_per_second": median(r["records_per_second"] for r in rs),
                "mib_per_second": median(r["mib_per_second"] for r in rs),
                "cpu_us_per_record": median(r["cpu_us_per_record"] for r in rs),
                "peak_rss_mib": median(r["peak_rss_mib"] for r in rs),
                "p50_ms": median(r.get("latency_ms", {}).get("p50") for r in rs),
                "p99_ms": median(r.get("latency_ms", {}).get("p99") for r in rs),
                "confirmed_ok": all(r.get("confirmed") in (None, r["records"]) for r in rs),
            }
        k = row["clients"].get("kwire")
        for peer in PEERS:
            p = row["clients"].get(peer)
            if not k or not p:
                continue
            def ratio(key):
                a, b = k.get(key), p.get(key)
                return a / b if a is not None and b else None
            row["kwire_vs_" + peer] = {"throughput": ratio("records_per_second"),
                                       "cpu_per_record": ratio("cpu_us_per_record"), "p99": ratio("p99_ms"),
                                       "rss": ratio("peak_rss_mib")}
        rows.append(row)
    return rows


def fmt(v, digits=0):
    if v is None:
        return "-"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:.{d}f}".format(v, d=digits)


def fmt_ratio(v):
    return "-" if v is None else "%.2f" % v


PRODUCE_METRICS = (("rec/s", "records_per_second", 0, "throughput"),
                   ("CPU µs/rec", "cpu_us_per_record", 3, "cpu_per_record"),
                   ("p99 ms", "p99_ms", 2, "p99"))
CONSUME_METRICS = (("rec/s", "records_per_second", 0, "throughput"),
                   ("CPU µs/rec", "cpu_us_per_record", 3, "cpu_per_record"),
                   ("RSS MiB", "peak_rss_mib", 1, "rss"))


def print_table(rows, clients, metrics=PRODUCE_METRICS, out=sys.stdout):
    """One table per metric: a row per scenario, a column per client, then
    kwire's ratio to each peer."""
    peers = [c for c in PEERS if c in clients and "kwire" in clients]
    for metric, key, digits, rkey in metrics:
        head = ["target", "scenario"] + ["%s %s" % (metric, SHORT[c]) for c in clients]
        head += ["k/%s" % SHORT[p] for p in peers]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in rows:
            cells = [row["target"], row["scenario"]]
            cells += [fmt(row["clients"].get(c, {}).get(key), digits) for c in clients]
            cells += [fmt_ratio(row.get("kwire_vs_" + p, {}).get(rkey)) for p in peers]
            lines.append("| " + " | ".join(cells) + " |")
        print("\n".join(lines) + "\n", file=out)


