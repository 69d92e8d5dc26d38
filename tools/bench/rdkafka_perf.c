/* rdkafka_perf: the librdkafka peer of `kwire perf`, for tools/bench/compare.
 *
 * Built only for benchmarking (tools/bench/CMakeLists.txt, when librdkafka-dev
 * is installed); never linked into kwire. It takes the same options as
 * `kwire perf` and prints the same report and the same --json shape, measured
 * the same way:
 *   - the clock starts just before the first produce and stops when every
 *     record has its delivery report (rd_kafka_flush); set-up and teardown
 *     are outside it;
 *   - CPU is getrusage(RUSAGE_SELF) user + sys over that interval (every
 *     librdkafka thread is in the process);
 *   - latency is from just before rd_kafka_produce() to the delivery report
 *     callback, on CLOCK_MONOTONIC, for every k-th record, k = ceil(records /
 *     250000) as in kwire perf; one preallocated uint32 slot per sampled record
 *     (send time, then latency, in microseconds). Delivery
 *     reports are served by a dedicated thread blocking in rd_kafka_poll(), so
 *     they run as soon as librdkafka has them (as kwire's run on its network
 *     thread) rather than when the producing loop next polls;
 *   - "confirmed": the sum over partitions of the high watermark after the
 *     run minus before it (rd_kafka_query_watermark_offsets, i.e. ListOffsets).
 *
 *   rdkafka_perf -b host:port -t topic [-n records] [-s bytes] [--payload-file F]
 *                [-z codec] [-X key=value ...] [--rate R] [--json] [--no-confirm]
 *                [--transaction-size N]   (with -X transactional.id=ID)
 *   rdkafka_perf -C -b host:port -t topic -n records [-G group] [-X key=value ...] [--json]
 *
 * -C consumes as `kwire perf --consume` does: one group member (-G, default
 * a fresh group per run) subscribed to the topic from the earliest offset,
 * rd_kafka_consumer_poll() per record as an application would; the clock runs
 * from the first record to the n-th; CPU and peak RSS as above.
 *
 * -X takes librdkafka's property names (compare pins each client's own names).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define FAILED_SLOT UINT32_MAX
#define MAX_ERRORS 16
#define LATENCY_SAMPLES 250000
#define NOT_SAMPLED UINTPTR_MAX

static struct timespec t0;
static uint32_t *slots;
static atomic_uint_fast64_t delivered, failed;
static atomic_int stop_polling;
static pthread_mutex_t errors_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct {
  rd_kafka_resp_err_t err;
  uint64_t count;
} errors[MAX_ERRORS];
static int error_kinds;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("rdkafka_perf: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static uint32_t micros_since_start(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t us = (int64_t)(now.tv_sec - t0.tv_sec) * 1000000 + (now.tv_nsec - t0.tv_nsec) / 1000;
  return (uint32_t)us;
}

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) * 1e-9;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  uintptr_t index = (uintptr_t)m->_private;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (index != NOT_SAMPLED) slots[index] = micros_since_start() - slots[index];
    atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
    return;
  }
  if (index != NOT_SAMPLED) slots[index] = FAILED_SLOT;
  atomic_fetch_add_explicit(&failed, 1, memory_order_relaxed);
  pthread_mutex_lock(&errors_mutex);
  int i = 0;
  while (i < error_kinds && errors[i].err != m->err) ++i;
  if (i < MAX_ERRORS) {
    if (i == error_kinds) {
      errors[i].err = m->err;
      errors[i].count = 0;
      ++error_kinds;
    }
    ++errors[i].count;
  }
  pthread_mutex_unlock(&errors_mutex);
}

static void *poll_thread(void *arg) {
  rd_kafka_t *rk = arg;
  while (!atomic_load(&stop_polling)) rd_kafka_poll(rk, 100);
  return NULL;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "rdkafka_perf: librdkafka %s: %s\n", fac, buf);
}

/* Sum of the partitions' high watermarks; -1 (with a message in `why`) when
 * it cannot be read. A topic that does not exist sums to 0. */
static int64_t latest_offset_sum(rd_kafka_t *rk, const char *topic, char *why, size_t why_size) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (err) {
    snprintf(why, why_size, "metadata: %s", rd_kafka_err2str(err));
    return -1;
  }
  int64_t sum = 0;
  if (md->topic_cnt != 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    rd_kafka_metadata_destroy(md);
    return 0;
  }
  if (md->topics[0].err) {
    snprintf(why, why_size, "topic: %s", rd_kafka_err2str(md->topics[0].err));
    rd_kafka_metadata_destroy(md);
    return -1;
  }
  for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
    int64_t low = 0, high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic, md->topics[0].partitions[p].id, &low, &high, 10000);
    if (err) {
      snprintf(why, why_size, "watermarks of partition %d: %s", md->topics[0].partitions[p].id, rd_kafka_err2str(err));
      rd_kafka_metadata_destroy(md);
      return -1;
    }
    sum += high;
  }
  rd_kafka_metadata_destroy(md);
  return sum;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double cpu_seconds(double *user, double *sys, long *max_rss_kib) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
  *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
  *max_rss_kib = ru.ru_maxrss;
  return *user + *sys;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) die("%s=%s: %s", key, value, err);
}

static int consume_main(int argc, char **argv);

static void check_txn(rd_kafka_error_t *error, const char *what) {
  if (!error) return;
  die("%s: %s", what, rd_kafka_error_string(error));
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "-C")) return consume_main(argc, argv);
    if (!strcmp(argv[i], "--version")) return printf("%s\n", rd_kafka_version_str()) < 0;
  }
  const char *bootstrap = getenv("KWIRE_BOOTSTRAP");
  const char *topic = NULL, *payload_file = NULL, *codec = NULL;
  uint64_t records = 1000000, transaction_size = 0, transactions = 0;
  size_t record_size = 100;
  double rate = 0;
  int json = 0, confirm = 1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();

  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (die("%s needs a value", a), (char *)NULL))
    if (!strcmp(a, "-b")) bootstrap = NEXT();
    else if (!strcmp(a, "-t")) topic = NEXT();
    else if (!strcmp(a, "-n")) records = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "-s")) record_size = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "-z")) codec = NEXT();
    else if (!strcmp(a, "--payload-file")) payload_file = NEXT();
    else if (!strcmp(a, "--rate")) rate = strtod(NEXT(), NULL);
    else if (!strcmp(a, "--transaction-size")) transaction_size = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--no-confirm")) confirm = 0;
    else if (!strcmp(a, "--no-progress")) { /* never draws one */ }
    else if (!strcmp(a, "-X")) {
      char *kv = NEXT();
      char *eq = strchr(kv, '=');
      if (!eq || eq == kv) die("-X expects key=value, got '%s'", kv);
      *eq = '\0';
      set(conf, kv, eq + 1);
    } else die("unknown option %s", a);
  }
  if (!bootstrap || !*bootstrap) die("no broker given: use -b host:port");
  if (!topic) die("needs a topic: -t topic");
  if (records == 0 || records > UINT32_MAX) die("-n out of range");
  set(conf, "bootstrap.servers", bootstrap);
  if (codec) set(conf, "compression.codec", codec);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_log_cb(conf, on_log);

  /* Payloads: the same rules as kwire perf. */
  uint8_t *storage = NULL;
  size_t payload_count = 0;
  const uint8_t **values;
  size_t *sizes;
  if (payload_file) {
    FILE *f = fopen(payload_file, "rb");
    if (!f) die("cannot open %s: %s", payload_file, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    storage = malloc((size_t)len + 1);
    if (fread(storage, 1, (size_t)len, f) != (size_t)len) die("cannot read %s", payload_file);
    fclose(f);
    size_t lines = 0;
    for (long i = 0; i < len; ++i) lines += storage[i] == '\n';
    values = malloc((lines + 1) * sizeof *values);
    sizes = malloc((lines + 1) * sizeof *sizes);
    size_t start = 0;
    for (size_t i = 0; i <= (size_t)len; ++i) {
      if (i < (size_t)len && storage[i] != '\n') continue;
      if (i > start) {
        values[payload_count] = storage + start;
        sizes[payload_count] = i - start;
        ++payload_count;
      }
      start = i + 1;
    }
    if (payload_count == 0) die("payload file %s has no non-empty line", payload_file);
  } else {
    uint64_t count = records;
    uint64_t cap = (4u << 20) / (record_size ? record_size : 1);
    if (count > cap) count = cap;
    if (count > 4096) count = 4096;
    if (count < 1) count = 1;
    payload_count = count;
    storage = malloc(count * record_size + 1);
    uint64_t x = 42;
    for (size_t i = 0; i < count * record_size; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      storage[i] = (uint8_t)('A' + x % 26);
    }
    values = malloc(count * sizeof *values);
    sizes = malloc(count * sizeof *sizes);
    for (size_t i = 0; i < count; ++i) values[i] = storage + i * record_size, sizes[i] = record_size;
  }
  double total_bytes = 0;
  for (uint64_t i = 0; i < records; ++i) total_bytes += (double)sizes[i % payload_count];

  const uint64_t sample_every = (records + LATENCY_SAMPLES - 1) / LATENCY_SAMPLES;
  const uint64_t samples = (records + sample_every - 1) / sample_every;
  slots = calloc(samples, sizeof *slots);
  if (!slots) die("out of memory");

  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) die("rd_kafka_new: %s", errstr);

  char why_before[256] = "", why_after[256] = "";
  int64_t before = confirm ? latest_offset_sum(rk, topic, why_before, sizeof why_before) : -1;
  if (!confirm) {
    /* Still wait for the cluster, so connecting is outside the clock. */
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, NULL, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
  }

  /* Transactional: init is set-up (outside the clock); begin and commit
   * every transaction_size records are inside it, as in kwire perf. */
  if (transaction_size) check_txn(rd_kafka_init_transactions(rk, 60000), "init_transactions");

  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  pthread_t poller;
  pthread_create(&poller, NULL, poll_thread, rk);

  double user0, sys0, user1, sys1;
  long rss;
  cpu_seconds(&user0, &sys0, &rss);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (uint64_t i = 0; i < records; ++i) {
    if (rate > 0) {
      double due = (double)i / rate;
      double now = seconds_since(&t0);
      if (now < due) {
        double wait = due - now;
        struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
    const size_t k = i % payload_count;
    if (transaction_size && i % transaction_size == 0) check_txn(rd_kafka_begin_transaction(rk), "begin_transaction");
    uintptr_t slot = NOT_SAMPLED;
    if (i % sample_every == 0) {
      slot = (uintptr_t)(i / sample_every);
      slots[slot] = micros_since_start();
    }
    while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)values[k], sizes[k], NULL, 0,
                            (void *)slot) == -1) {
      rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce: %s", rd_kafka_err2str(err));
      rd_kafka_poll(rk, 1); /* queue.buffering.max.*: wait for room, as a blocking send would */
    }
    if (transaction_size && ((i + 1) % transaction_size == 0 || i + 1 == records)) {
      check_txn(rd_kafka_commit_transaction(rk, -1), "commit_transaction");
      ++transactions;
    }
  }
  while (rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
  }
  /* flush() returns once the queue is empty; the last reports may still be
   * running on the poll thread. */
  while (atomic_load(&delivered) + atomic_load(&failed) < records) usleep(100);
  const double seconds = seconds_since(&t0);
  cpu_seconds(&user1, &sys1, &rss);

  atomic_store(&stop_polling, 1);
  pthread_join(poller, NULL);

  int64_t confirmed = -1;
  if (confirm && before >= 0) {
    int64_t after = latest_offset_sum(rk, topic, why_after, sizeof why_after);
    if (after >= 0) confirmed = after - before;
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);

  const uint64_t ok = atomic_load(&delivered), bad = atomic_load(&failed);
  /* Percentiles (nearest rank) of delivered records. */
  uint64_t n = 0;
  for (uint64_t i = 0; i < samples; ++i)
    if (slots[i] != FAILED_SLOT) slots[n++] = slots[i];
  qsort(slots, n, sizeof *slots, cmp_u32);
#define PCT(q) (n ? (double)slots[(uint64_t)fmax(1, ceil((q) * (double)n)) - 1] / 1000.0 : 0.0)
  const double p50 = PCT(0.50), p95 = PCT(0.95), p99 = PCT(0.99), max = n ? (double)slots[n - 1] / 1000.0 : 0;

  const double cpu_user = user1 - user0, cpu_sys = sys1 - sys0, cpu = cpu_user + cpu_sys;
  const double rps = seconds > 0 ? (double)ok / seconds : 0;
  const double mib = seconds > 0 ? total_bytes * ((double)ok / (double)records) / seconds / (1024.0 * 1024.0) : 0;
  const double avg_size = total_bytes / (double)records;
  const double rss_mib = (double)rss / 1024.0;
  char codec_name[64] = "none";
  if (codec) snprintf(codec_name, sizeof codec_name, "%s", codec);

  if (json) {
    printf("{\"client\":\"librdkafka\",\"librdkafka_version\":\"%s\",\"topic\":\"%s\",\"records\":%" PRIu64
           ",\"record_size\":%g,\"compression\":\"%s\",\"delivered\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"errors\":{",
           rd_kafka_version_str(), topic, records, avg_size, codec_name, ok, bad);
    for (int i = 0; i < error_kinds; ++i)
      printf("%s\"%s\":%" PRIu64, i ? "," : "", rd_kafka_err2name(errors[i].err), errors[i].count);
    printf("},\"seconds\":%g,\"records_per_second\":%g,\"mib_per_second\":%g,\"cpu_seconds\":%g,"
           "\"cpu_user_seconds\":%g,\"cpu_sys_seconds\":%g,\"cpu_us_per_record\":%g,\"peak_rss_mib\":%g,"
           "\"latency_sampled_every\":%" PRIu64 ",\"latency_ms\":{",
           seconds, rps, mib, cpu, cpu_user, cpu_sys, cpu * 1e6 / (double)records, rss_mib, sample_every);
    if (n) printf("\"p50\":%g,\"p95\":%g,\"p99\":%g,\"max\":%g", p50, p95, p99, max);
    printf("}");
    if (transaction_size) printf(",\"transactions\":%" PRIu64 ",\"transaction_size\":%" PRIu64, transactions, transaction_size);
    printf(",\"confirmed\":");
    if (confirmed >= 0) printf("%" PRId64 "}\n", confirmed);
    else printf("null}\n");
  } else {
    printf("rdkafka_perf (librdkafka %s): %" PRIu64 " records of %.0f bytes (%s) to %s in %.3f s\n",
           rd_kafka_version_str(), records, avg_size, codec_name, topic, seconds);
    printf("  delivered    %" PRIu64 ", failed %" PRIu64 "\n", ok, bad);
    for (int i = 0; i < error_kinds; ++i) printf("               %" PRIu64 " x %s\n", errors[i].count, rd_kafka_err2name(errors[i].err));
    printf("  throughput   %.0f records/s, %.2f MiB/s\n", rps, mib);
    printf("  client cpu   %.3f s (user %.3f, sys %.3f), %.3f us/record\n", cpu, cpu_user, cpu_sys,
           cpu * 1e6 / (double)records);
    printf("  peak rss     %.1f MiB\n", rss_mib);
    if (n) printf("  latency      p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms\n", p50, p95, p99, max);
    if (transaction_size) printf("  transactions %" PRIu64 " committed\n", transactions);
    if (confirmed >= 0) printf("  confirmed    %" PRId64 " records by the broker (watermarks)\n", confirmed);
    else if (confirm) printf("  confirmed    unknown (%s)\n", before < 0 ? why_before : why_after);
  }
  if (confirmed >= 0 && (uint64_t)confirmed != ok)
    fprintf(stderr, "rdkafka_perf: the broker has %" PRId64 " new records, %" PRIu64 " were reported delivered\n",
            confirmed, ok);
  free(slots);
  free(storage);
  free(values);
  free(sizes);
  return bad > 0 ? 1 : 0;
}

/* --- -C: consume ------------------------------------------------------------ */

static int consume_main(int argc, char **argv) {
  const char *bootstrap = getenv("KWIRE_BOOTSTRAP");
  const char *topic = NULL, *group = NULL;
  uint64_t records = 0;
  int json = 0;
  double idle_limit = 30; /* seconds without a record before giving up */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "auto.offset.reset", "earliest");
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "-C") || !strcmp(a, "--no-progress")) continue;
    if (!strcmp(a, "-b")) bootstrap = NEXT();
    else if (!strcmp(a, "-t")) topic = NEXT();
    else if (!strcmp(a, "-G")) group = NEXT();
    else if (!strcmp(a, "-n")) records = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "--idle-timeout")) idle_limit = strtod(NEXT(), NULL);
    else if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "-X")) {
      char *kv = NEXT();
      char *eq = strchr(kv, '=');
      if (!eq || eq == kv) die("-X expects key=value, got '%s'", kv);
      *eq = '\0';
      set(conf, kv, eq + 1);
    } else die("unknown option %s in consume mode", a);
  }
  if (!bootstrap || !*bootstrap) die("no broker given: use -b host:port");
  if (!topic) die("needs a topic: -t topic");
  if (records == 0) die("consume mode needs -n records");
  char group_buf[96];
  if (!group) {
    snprintf(group_buf, sizeof group_buf, "rdkafka-perf-%ld-%ld", (long)getpid(), (long)time(NULL));
    group = group_buf;
  }
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "group.id", group);
  rd_kafka_conf_set_log_cb(conf, on_log);

  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) die("rd_kafka_new: %s", errstr);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) die("subscribe: %s", rd_kafka_err2str(err));

  uint64_t consumed = 0, errors_seen = 0;
  double bytes = 0;
  double user0 = 0, sys0 = 0, user1, sys1;
  long rss;
  struct timespec idle_since;
  clock_gettime(CLOCK_MONOTONIC, &idle_since);
  while (consumed < records) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      if (seconds_since(&idle_since) > idle_limit) break;
      continue;
    }
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        fprintf(stderr, "rdkafka_perf: consume: %s\n", rd_kafka_message_errstr(m));
        ++errors_seen;
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if (consumed == 0) {
      cpu_seconds(&user0, &sys0, &rss);
      clock_gettime(CLOCK_MONOTONIC, &t0);
    }
    bytes += (double)m->len + (double)m->key_len;
    ++consumed;
    rd_kafka_message_destroy(m);
    clock_gettime(CLOCK_MONOTONIC, &idle_since);
  }
  const double seconds = consumed ? seconds_since(&t0) : 0;
  cpu_seconds(&user1, &sys1, &rss);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);

  const double cpu_user = consumed ? user1 - user0 : 0, cpu_sys = consumed ? sys1 - sys0 : 0, cpu = cpu_user + cpu_sys;
  const double rps = seconds > 0 ? (double)consumed / seconds : 0;
  const double mib = seconds > 0 ? bytes / seconds / (1024.0 * 1024.0) : 0;
  const double per_record = consumed ? cpu * 1e6 / (double)consumed : 0;
  const double rss_mib = (double)rss / 1024.0;
  if (json) {
    printf("{\"client\":\"librdkafka\",\"mode\":\"consume\",\"librdkafka_version\":\"%s\",\"topic\":\"%s\",\"group\":\"%s\","
           "\"records\":%" PRIu64 ",\"consumed\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"bytes\":%.0f,\"seconds\":%g,"
           "\"records_per_second\":%g,\"mib_per_second\":%g,\"cpu_seconds\":%g,\"cpu_user_seconds\":%g,"
           "\"cpu_sys_seconds\":%g,\"cpu_us_per_record\":%g,\"peak_rss_mib\":%g}\n",
           rd_kafka_version_str(), topic, group, records, consumed, errors_seen, bytes, seconds, rps, mib, cpu, cpu_user,
           cpu_sys, per_record, rss_mib);
  } else {
    printf("rdkafka_perf -C (librdkafka %s): %" PRIu64 " of %" PRIu64 " records from %s in %.3f s\n",
           rd_kafka_version_str(), consumed, records, topic, seconds);
    printf("  throughput   %.0f records/s, %.2f MiB/s\n", rps, mib);
    printf("  client cpu   %.3f s (user %.3f, sys %.3f), %.3f us/record\n", cpu, cpu_user, cpu_sys, per_record);
    printf("  peak rss     %.1f MiB\n", rss_mib);
  }
  if (consumed < records) {
    fprintf(stderr, "rdkafka_perf: only %" PRIu64 " of %" PRIu64 " records arrived (idle for %.0f s)\n", consumed,
            records, idle_limit);
    return 1;
  }
  return errors_seen ? 1 : 0;
}
