"""The consumer half of tools/bench/compare (issue 15): every client reads the
same pre-produced topic, one consumer per run, in a fresh group.

Scenarios (real broker only: the blackhole mock stores nothing): 2M x 100 B
and 400k x 1 KiB records, uncompressed and lz4, produced once per scenario by
`kwire perf` with the producer settings compare pins (so every batch is the
same for every reader) into a 3-partition topic.

Clients and how each is measured:
  kwire        `kwire perf --consume` (tools/cli/perf_consume.cpp)
  librdkafka   `rdkafka_perf -C` (newest librdkafka, the confluent-kafka wheel's)
  rdk-debian   `rdkafka_perf_debian -C` (Debian's librdkafka; secondary column)
  franz-go     `franz_perf -C` (tools/bench/franz)
      all three: clock from the first record handed to the application to the
      n-th; CPU getrusage(RUSAGE_SELF) over that interval; peak RSS ru_maxrss.
  java         Kafka's ConsumerPerformance: its fetch.nMsg.sec (records over
               the time after the group join, so the first fetch counts); CPU
               the JVM's user+sys (wait4) minus the median of a --messages 1
               run; peak RSS the JVM's.

Pinned on every client: fetch.min.bytes=1, fetch.max.wait.ms=500,
fetch.max.bytes=50 MiB, max.partition.fetch.bytes=1 MiB, auto.offset.reset=
earliest, check.crcs=false (ConsumerPerformance forces it off; kwire's default
is on); franz-go has no CRC switch. Everything else is each client's default.
"""
import json
import os
import re
import statistics

CONSUMER_SETTINGS = {
    "fetch_min_bytes": 1,
    "fetch_max_wait_ms": 500,
    "fetch_max_bytes": 50 * 1024 * 1024,
    "max_partition_fetch_bytes": 1024 * 1024,
}


def kwire_consumer_props(s):
    return {"fetch.min.bytes": str(s["fetch_min_bytes"]), "fetch.max.wait.ms": str(s["fetch_max_wait_ms"]),
            "fetch.max.bytes": str(s["fetch_max_bytes"]),
            "max.partition.fetch.bytes": str(s["max_partition_fetch_bytes"]),
            "auto.offset.reset": "earliest", "check.crcs": "false"}


def rdkafka_consumer_props(s):
    p = kwire_consumer_props(s)
    p["fetch.wait.max.ms"] = p.pop("fetch.max.wait.ms")
    return p


def franz_consumer_props(s):
    p = kwire_consumer_props(s)
    del p["auto.offset.reset"]  # franz_perf always starts at the earliest offset
    del p["check.crcs"]
    return p


class ConsumeRunner:
    """Runs one consumer client over a pre-produced topic; returns its report."""

    def __init__(self, runner, run_process, broker):
        self.r = runner
        self.run_process = run_process
        self.broker = broker
        self.java_baseline = None
        self.groups = 0

    def group(self, client):
        self.groups += 1
        return "bench-%s-%d-%d" % (client, os.getpid(), self.groups)

    def native(self, exe, scenario, props, client):
        cmd = [exe] if isinstance(exe, str) else list(exe)
        cmd += ["-b", scenario["bootstrap"], "-t", scenario["topic"], "-n", str(scenario["records"]),
                "-G", self.group(client), "--json"]
        for k, v in props.items():
            cmd += ["-X", "%s=%s" % (k, v)]
        rc, out, err, _ = self.run_process(cmd, self.r.args.timeout)
        line = next((l for l in reversed(out.splitlines()) if l.startswith("{")), None)
        if rc != 0 or line is None:
            raise RuntimeError("%s failed (exit %d):\n%s%s" % (client, rc, out[-2000:], err[-3000:]))
        result = json.loads(line)
        result["client"] = client
        result["record_size"] = scenario["record_size"]
        result["command"] = " ".join(cmd)
        return result

    def java_cmd(self, scenario, records, props_path):
        return [self.broker, "run-class", "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
                scenario["bootstrap"], "--topic", scenario["topic"], "--messages", str(records), "--group",
                self.group("java"), "--fetch-size", str(scenario["consumer"]["max_partition_fetch_bytes"]),
                "--timeout", "30000", "--consumer.config", props_path]

    def java_props(self, scenario):
        path = os.path.join(self.r.tmp, "java-consumer.properties")
        props = kwire_consumer_props(scenario["consumer"])
        with open(path, "w") as f:
            for k, v in props.items():
                f.write("%s=%s\n" % (k, v))
        return path

    def run_java(self, scenario):
        props = self.java_props(scenario)
        if self.java_baseline is None:
            samples = []
            for _ in range(2):
                rc, out, err, ru = self.run_process(self.java_cmd(scenario, 1, props), self.r.args.timeout)
                if rc != 0:
                    raise RuntimeError("ConsumerPerformance baseline failed (exit %d):\n%s%s" % (rc, out, err[-3000:]))
                samples.append(ru.ru_utime + ru.ru_stime)
            self.java_baseline = statistics.median(samples)
        cmd = self.java_cmd(scenario, scenario["records"], props)
        rc, out, err, ru = self.run_process(cmd, self.r.args.timeout)
        values = None
        for line in out.splitlines():
            fields = [f.strip() for f in line.split(",")]
            if len(fields) == 10 and re.match(r"^[\d.]+$", fields[4]):
                values = fields
        if rc != 0 or values is None or "WARNING" in out:
            raise RuntimeError("ConsumerPerformance failed (exit %d):\n%s%s" % (rc, out[-3000:], err[-3000:]))
        n = int(values[4])
        fetch_ms = float(values[7])
        cpu_raw = ru.ru_utime + ru.ru_stime
        cpu = max(0.0, cpu_raw - self.java_baseline)
        return {"client": "java", "mode": "consume", "topic": scenario["topic"], "records": scenario["records"],
                "consumed": n, "record_size": scenario["record_size"], "seconds": fetch_ms / 1000.0,
                "records_per_second": float(values[9]), "mib_per_second": float(values[8]),
                "cpu_seconds": cpu, "cpu_seconds_raw": cpu_raw, "cpu_baseline_seconds": self.java_baseline,
                "cpu_us_per_record": cpu * 1e6 / n if n else None, "peak_rss_mib": ru.ru_maxrss / 1024.0,
                "rebalance_ms": float(values[6]), "command": " ".join(cmd)}

    def run(self, client, scenario):
        s = scenario["consumer"]
        r = self.r
        if client == "kwire":
            result = self.native([r.kwire, "perf", "--consume"], scenario, kwire_consumer_props(s), client)
        elif client == "librdkafka":
            result = self.native([r.rdkafka, "-C"], scenario, rdkafka_consumer_props(s), client)
        elif client == "rdk-debian":
            result = self.native([r.rdkafka_debian, "-C"], scenario, rdkafka_consumer_props(s), client)
        elif client == "franz-go":
            result = self.native([r.franz, "-C"], scenario, franz_consumer_props(s), client)
        else:
            result = self.run_java(scenario)
        if result.get("consumed") != scenario["records"]:
            raise RuntimeError("%s consumed %s of %d records" % (client, result.get("consumed"), scenario["records"]))
        return result


def consume_scenarios(args):
    """(name, size, codec, records) for every consume scenario."""
    out = []
    for size in (int(s) for s in args.sizes.split(",")):
        for codec in args.codecs.split(","):
            records = args.consume_records_100 if size <= 100 else args.consume_records_1024
            out.append(("consume %dB %s" % (size, codec), size, codec, records))
    return out
