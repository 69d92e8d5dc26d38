// franz_perf: the franz-go peer of `kwire perf` and `kwire perf --consume`,
// for tools/bench/compare. Built by tools/bench/setup (its own go.mod; the
// module comes from the Go proxy); never part of kwire.
//
//	franz_perf -b host:port -t topic [-n records] [-s bytes] [--payload-file F]
//	           [-z none|lz4|...] [-X key=value ...] [--rate R] [--json]
//	franz_perf -C -b host:port -t topic -n records [-G group] [-X key=value ...] [--json]
//
// Measured as kwire perf and rdkafka_perf are: produce runs its clock from
// the first Produce to the last promise (Flush), latency send -> promise for
// every k-th record (k = ceil(n / 250000)); consume runs it from the first
// record to the n-th, one group member (-G, default a fresh group) from the
// earliest offset. CPU is getrusage(RUSAGE_SELF) user+sys over the clock
// (every goroutine and the garbage collector), peak RSS is ru_maxrss.
//
// -X takes kwire's (Java's) property names for the settings compare pins:
// acks, linger.ms, batch.size, max.in.flight.requests.per.connection,
// buffer.memory, max.request.size, request.timeout.ms, delivery.timeout.ms,
// retry.backoff.ms, enable.idempotence, retries, compression.type; fetch.min.bytes, fetch.max.wait.ms,
// fetch.max.bytes, max.partition.fetch.bytes. Anything else is an error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const latencySamples = 250000

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "franz_perf: "+format+"\n", args...)
	os.Exit(2)
}

type cpu struct{ user, sys, rssKiB float64 }

func cpuNow() cpu {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		die("getrusage: %v", err)
	}
	return cpu{float64(ru.Utime.Sec) + float64(ru.Utime.Usec)*1e-6, float64(ru.Stime.Sec) + float64(ru.Stime.Usec)*1e-6,
		float64(ru.Maxrss)}
}

type options struct {
	consume     bool
	brokers     []string
	topic       string
	group       string
	records     uint64
	size        int
	payloadFile string
	codec       string
	rate        float64
	json        bool
	props       map[string]string
}

func parse() options {
	o := options{records: 1000000, size: 100, props: map[string]string{}}
	if b := os.Getenv("KWIRE_BOOTSTRAP"); b != "" {
		o.brokers = strings.Split(b, ",")
	}
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 >= len(args) {
				die("%s needs a value", a)
			}
			i++
			return args[i]
		}
		num := func() uint64 {
			v, err := strconv.ParseUint(next(), 10, 64)
			if err != nil {
				die("%s: %v", a, err)
			}
			return v
		}
		switch a {
		case "-C":
			o.consume = true
		case "-b":
			o.brokers = strings.Split(next(), ",")
		case "-t":
			o.topic = next()
		case "-G":
			o.group = next()
		case "-n":
			o.records = num()
		case "-s":
			o.size = int(num())
		case "-z":
			o.codec = next()
		case "--payload-file":
			o.payloadFile = next()
		case "--rate":
			v, err := strconv.ParseFloat(next(), 64)
			if err != nil || v < 0 {
				die("--rate: %v", err)
			}
			o.rate = v
		case "--json":
			o.json = true
		case "--no-progress", "--no-confirm":
		case "-X":
			kv := next()
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				die("-X expects key=value, got '%s'", kv)
			}
			o.props[k] = v
		default:
			die("unknown option %s", a)
		}
	}
	if len(o.brokers) == 0 {
		die("no broker given: use -b host:port")
	}
	if o.topic == "" {
		die("needs a topic: -t topic")
	}
	if o.records == 0 {
		die("-n must be at least 1")
	}
	return o
}

func intProp(o *options, key string, apply func(int64)) {
	if v, ok := o.props[key]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			die("%s=%s: %v", key, v, err)
		}
		apply(n)
		delete(o.props, key)
	}
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

func clientOptions(o *options) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(o.brokers...)}
	acks, hasAcks := o.props["acks"]
	idempotent := o.props["enable.idempotence"] != "false" && (!hasAcks || acks == "all" || acks == "-1")
	add := func(opt kgo.Opt) { opts = append(opts, opt) }
	if v, ok := o.props["acks"]; ok {
		switch v {
		case "all", "-1":
			add(kgo.RequiredAcks(kgo.AllISRAcks()))
		case "1":
			add(kgo.RequiredAcks(kgo.LeaderAck()))
			add(kgo.DisableIdempotentWrite())
		case "0":
			add(kgo.RequiredAcks(kgo.NoAck()))
			add(kgo.DisableIdempotentWrite())
		default:
			die("acks=%s", v)
		}
		delete(o.props, "acks")
	}
	if v, ok := o.props["enable.idempotence"]; ok {
		if v == "false" {
			add(kgo.DisableIdempotentWrite())
		}
		delete(o.props, "enable.idempotence")
	}
	intProp(o, "linger.ms", func(n int64) { add(kgo.ProducerLinger(ms(n))) })
	intProp(o, "batch.size", func(n int64) { add(kgo.ProducerBatchMaxBytes(int32(n))) })
	intProp(o, "max.in.flight.requests.per.connection", func(n int64) {
		// franz-go refuses the option with idempotence and sizes the
		// in-flight window itself then (see README).
		if !idempotent {
			add(kgo.MaxProduceRequestsInflightPerBroker(int(n)))
		}
	})
	intProp(o, "buffer.memory", func(n int64) { add(kgo.MaxBufferedBytes(int(n))) })
	intProp(o, "max.request.size", func(n int64) { add(kgo.BrokerMaxWriteBytes(int32(n) + 1024)) })
	intProp(o, "request.timeout.ms", func(n int64) { add(kgo.ProduceRequestTimeout(ms(n))) })
	intProp(o, "delivery.timeout.ms", func(n int64) { add(kgo.RecordDeliveryTimeout(ms(n))) })
	intProp(o, "retry.backoff.ms", func(n int64) {
		add(kgo.RetryBackoffFn(func(int) time.Duration { return ms(n) }))
	})
	intProp(o, "fetch.min.bytes", func(n int64) { add(kgo.FetchMinBytes(int32(n))) })
	intProp(o, "fetch.max.wait.ms", func(n int64) { add(kgo.FetchMaxWait(ms(n))) })
	intProp(o, "fetch.max.bytes", func(n int64) { add(kgo.FetchMaxBytes(int32(n))) })
	intProp(o, "max.partition.fetch.bytes", func(n int64) { add(kgo.FetchMaxPartitionBytes(int32(n))) })
	intProp(o, "retries", func(n int64) { add(kgo.RecordRetries(int(n))) })
	if v, ok := o.props["compression.type"]; ok {
		o.codec = v
		delete(o.props, "compression.type")
	}
	for k := range o.props {
		die("unsupported -X %s", k)
	}
	switch o.codec {
	case "", "none":
		add(kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "lz4":
		add(kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		add(kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	case "snappy":
		add(kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "gzip":
		add(kgo.ProducerBatchCompression(kgo.GzipCompression()))
	default:
		die("-z %s", o.codec)
	}
	return opts
}

func payloads(o options) [][]byte {
	if o.payloadFile != "" {
		f, err := os.Open(o.payloadFile)
		if err != nil {
			die("cannot open %s: %v", o.payloadFile, err)
		}
		defer f.Close()
		var out [][]byte
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if len(sc.Bytes()) > 0 {
				out = append(out, append([]byte(nil), sc.Bytes()...))
			}
		}
		if len(out) == 0 {
			die("payload file %s has no non-empty line", o.payloadFile)
		}
		return out
	}
	count := min(o.records, uint64((4<<20)/max(o.size, 1)), 4096)
	count = max(count, 1)
	rng := rand.New(rand.NewSource(42))
	out := make([][]byte, count)
	for i := range out {
		out[i] = make([]byte, o.size)
		for j := range out[i] {
			out[i][j] = byte('A' + rng.Intn(26))
		}
	}
	return out
}

func emit(o options, v map[string]any, text string) {
	if o.json {
		b, _ := json.Marshal(v)
		fmt.Println(string(b))
	} else {
		fmt.Print(text)
	}
}

func produce(o options) int {
	values := payloads(o)
	cl, err := kgo.NewClient(append(clientOptions(&o), kgo.DefaultProduceTopic(o.topic))...)
	if err != nil {
		die("client: %v", err)
	}
	ctx := context.Background()
	if err := cl.Ping(ctx); err != nil {
		die("cannot reach the cluster: %v", err)
	}
	every := (o.records + latencySamples - 1) / latencySamples
	slots := make([]uint32, (o.records+every-1)/every)
	var delivered, failed atomic.Uint64
	var errMu sync.Mutex
	errs := map[string]uint64{}
	var total float64
	for i := uint64(0); i < o.records; i++ {
		total += float64(len(values[i%uint64(len(values))]))
	}
	c0 := cpuNow()
	t0 := time.Now()
	micros := func() uint32 { return uint32(time.Since(t0).Microseconds()) }
	for i := uint64(0); i < o.records; i++ {
		if o.rate > 0 {
			if d := time.Duration(float64(i) / o.rate * 1e9); time.Since(t0) < d {
				time.Sleep(d - time.Since(t0))
			}
		}
		slot := -1
		if i%every == 0 {
			slot = int(i / every)
			slots[slot] = micros()
		}
		cl.Produce(ctx, &kgo.Record{Value: values[i%uint64(len(values))]}, func(r *kgo.Record, err error) {
			if err == nil {
				if slot >= 0 {
					slots[slot] = micros() - slots[slot]
				}
				delivered.Add(1)
				return
			}
			if slot >= 0 {
				slots[slot] = math.MaxUint32
			}
			failed.Add(1)
			errMu.Lock()
			errs[err.Error()]++
			errMu.Unlock()
		})
	}
	if err := cl.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	seconds := time.Since(t0).Seconds()
	c1 := cpuNow()
	cl.Close()

	lat := slots[:0]
	for _, s := range slots {
		if s != math.MaxUint32 {
			lat = append(lat, s)
		}
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	pct := func(q float64) float64 {
		rank := int(math.Max(1, math.Ceil(q*float64(len(lat))))) - 1
		return float64(lat[rank]) / 1000
	}
	ok, bad := delivered.Load(), failed.Load()
	user, sys := c1.user-c0.user, c1.sys-c0.sys
	cpuS := user + sys
	codec := o.codec
	if codec == "" {
		codec = "none"
	}
	latency := map[string]float64{}
	if len(lat) > 0 {
		latency = map[string]float64{"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": float64(lat[len(lat)-1]) / 1000}
	}
	rps := float64(ok) / seconds
	mib := total * float64(ok) / float64(o.records) / seconds / (1 << 20)
	text := fmt.Sprintf("franz_perf: %d records of %.0f bytes (%s) to %s in %.3f s\n  delivered    %d, failed %d\n"+
		"  throughput   %.0f records/s, %.2f MiB/s\n  client cpu   %.3f s (user %.3f, sys %.3f), %.3f us/record\n"+
		"  peak rss     %.1f MiB\n", o.records, total/float64(o.records), codec, o.topic, seconds, ok, bad, rps, mib,
		cpuS, user, sys, cpuS*1e6/float64(o.records), c1.rssKiB/1024)
	if len(lat) > 0 {
		text += fmt.Sprintf("  latency      p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms\n", latency["p50"],
			latency["p95"], latency["p99"], latency["max"])
	}
	emit(o, map[string]any{"client": "franz-go", "topic": o.topic, "records": o.records,
		"record_size": total / float64(o.records), "compression": codec, "delivered": ok, "failed": bad, "errors": errs,
		"seconds": seconds, "records_per_second": rps, "mib_per_second": mib, "cpu_seconds": cpuS,
		"cpu_user_seconds": user, "cpu_sys_seconds": sys, "cpu_us_per_record": cpuS * 1e6 / float64(o.records),
		"peak_rss_mib": c1.rssKiB / 1024, "latency_sampled_every": every, "latency_ms": latency, "confirmed": nil}, text)
	if bad > 0 {
		return 1
	}
	return 0
}

func consume(o options) int {
	group := o.group
	if group == "" {
		group = fmt.Sprintf("franz-perf-%d-%d", os.Getpid(), time.Now().Unix())
	}
	cl, err := kgo.NewClient(append(clientOptions(&o), kgo.ConsumeTopics(o.topic), kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		die("client: %v", err)
	}
	var consumed, errorsSeen uint64
	var bytes float64
	var c0 cpu
	var t0 time.Time
	idleSince := time.Now()
	for consumed < o.records && time.Since(idleSince) < 30*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		fetches.EachError(func(topic string, partition int32, err error) {
			if err != context.DeadlineExceeded {
				fmt.Fprintf(os.Stderr, "franz_perf: %s [%d]: %v\n", topic, partition, err)
				errorsSeen++
			}
		})
		it := fetches.RecordIter()
		for !it.Done() && consumed < o.records {
			r := it.Next()
			if consumed == 0 {
				c0 = cpuNow()
				t0 = time.Now()
			}
			bytes += float64(len(r.Value) + len(r.Key))
			consumed++
			idleSince = time.Now()
		}
	}
	seconds := 0.0
	if consumed > 0 {
		seconds = time.Since(t0).Seconds()
	}
	c1 := cpuNow()
	cl.Close()
	user, sys := c1.user-c0.user, c1.sys-c0.sys
	if consumed == 0 {
		user, sys = 0, 0
	}
	cpuS := user + sys
	rps, mib, per := 0.0, 0.0, 0.0
	if seconds > 0 {
		rps, mib = float64(consumed)/seconds, bytes/seconds/(1<<20)
	}
	if consumed > 0 {
		per = cpuS * 1e6 / float64(consumed)
	}
	text := fmt.Sprintf("franz_perf -C: %d of %d records from %s in %.3f s\n  throughput   %.0f records/s, %.2f MiB/s\n"+
		"  client cpu   %.3f s (user %.3f, sys %.3f), %.3f us/record\n  peak rss     %.1f MiB\n", consumed, o.records,
		o.topic, seconds, rps, mib, cpuS, user, sys, per, c1.rssKiB/1024)
	emit(o, map[string]any{"client": "franz-go", "mode": "consume", "topic": o.topic, "group": group,
		"records": o.records, "consumed": consumed, "errors": errorsSeen, "bytes": bytes, "seconds": seconds,
		"records_per_second": rps, "mib_per_second": mib, "cpu_seconds": cpuS, "cpu_user_seconds": user,
		"cpu_sys_seconds": sys, "cpu_us_per_record": per, "peak_rss_mib": c1.rssKiB / 1024}, text)
	if consumed < o.records {
		fmt.Fprintf(os.Stderr, "franz_perf: only %d of %d records arrived\n", consumed, o.records)
		return 1
	}
	if errorsSeen > 0 {
		return 1
	}
	return 0
}

func main() {
	o := parse()
	if o.consume {
		os.Exit(consume(o))
	}
	os.Exit(produce(o))
}
