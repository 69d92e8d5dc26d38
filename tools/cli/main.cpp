// kwire: a command-line tool on kwire's protocol and producer, with kcat's
// option style (-b bootstrap, -X key=value).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include <kwire/producer/config.hpp>
#include <kwire/version.hpp>

#include "commands.hpp"
#include "options.hpp"

namespace {

constexpr const char* kUsage = R"(usage: kwire <command> [options]

commands:
  --version                            print the kwire version
  api-versions -b host:port            the broker's API version ranges and the version kwire picks
  metadata -b host:port [topic ...]    brokers, topics, partitions, leaders, replicas and ISR
  produce -b host:port -t topic [file ...]
                                       each line of the files (stdin by default) as one record;
                                       reports delivered/failed counts, exits 1 if any record failed
      -p partition          explicit partition (default: the partitioner's choice)
      -k separator          split each line at the first separator: key before, value after
      -H name=value         a header on every record (repeatable)
      -z codec              compression.type: none, gzip, snappy, lz4, zstd
      --transactional-id ID (or -X transactional.id=ID) send in transactions (exactly once)
      --transaction-size N  commit every N records (default: one transaction for the input)
      --abort-every K       abort every K-th transaction instead (for testing readers)
  copy -b host:port --from TOPIC --to TOPIC -G GROUP --transactional-id ID [-e] [--transaction-size N]
                                       exactly-once copy: a member of GROUP reads its partitions of
                                       --from read_committed, produces to the same partition of --to
                                       in transactions of N records (default 1000) with the input
                                       positions and group metadata in each (KIP-447); several
                                       copiers share the input; -X takes consumer and producer keys;
                                       -e: exit once the input's end is copied and committed
  consume -b host:port -t topic [-p partition] [-o offset] [-c count] [-e]
                                       read one partition (kcat -C style), one record per line
      -o offset             beginning (default), end, N, -N (N before the end), s@TIMESTAMP_MS
      -c count              stop after count records
      -e                    exit at the end of the partition
      -f format             kcat tokens: %s value %k key %S %K sizes %t %p %o %T %h headers
                            (default "%s\n"); --json: one object per record (--base64: exact bytes)
  consume -b host:port -G group topic... [-o beginning|end] [-c count] [-e]
                                       join a consumer group (kcat -G style): read its assignment,
                                       commit, leave on SIGINT/SIGTERM; a topic starting with ^ is a
                                       regular expression ('^orders-.*'); -X group.instance.id=...,
                                       -X partition.assignment.strategy=..., any consumer property
      -X isolation.level=read_committed, -X fetch.max.bytes=N
  conformance -b host:port [-t topic] [--only GROUP,...] [--skip GROUP,...] [--keep]
                                       protocol conformance suite: a matrix of pass / fail /
                                       not offered cells; exits 1 if any cell fails. Groups:
                                       connect versions produce idempotence errors admin.
                                       Without -t it makes its own topic (CreateTopics, else
                                       auto-creation) and deletes it at the end unless --keep
  perf -b host:port -t topic           producer benchmark: records/s, MiB/s, client CPU per record,
                                       peak RSS, delivery latency p50/p95/p99/max, and the count
                                       the broker confirms (ListOffsets before/after)
      -n records            how many (default 1000000)
      -s bytes              record size (default 100; random letters A-Z)
      --payload-file F      values are F's non-empty lines, cycled (instead of -s)
      -z codec              compression.type
      --rate R              at most R records/s (default: as fast as possible)
      --no-confirm          skip the ListOffsets count
      --offsets             only print the sum of the topic's latest offsets
      --transaction-size N  with -X transactional.id=ID: commit every N records
      --no-progress         no progress bar (it is drawn only when stderr is a terminal)
  perf --consume -b host:port -t topic consumer benchmark: records/s, MiB/s, client CPU per record,
                                       peak RSS; reads every partition from the earliest offset
      -n records            how many (default: the sum of the latest offsets)
      -G group              as a member of this group (default: a fresh group per run)
      --assign              assign() every partition (with -G: that group's committed offsets)
      --idle-timeout S      give up after S seconds without a record (default 30)
  dump-log [--records] FILE ...        decode log segment files (<log.dir>/<topic>-<partition>/*.log)
                                       with kwire's batch decoder, kafka-dump-log style: one line per
                                       batch (offsets, count, codec, producer id/epoch/sequence, CRC);
                                       exits 1 on a bad batch, a truncated tail or a corrupt length
      --records             also one line per record (offset, key, value, headers)
      --base64              keys and values as base64 (exact for any bytes)
  topics list|describe|create|delete|alter|alter-config -b host:port [TOPIC ...]
                                       kafka-topics without the JVM (per-topic results; exit 1 if any failed)
      create TOPIC ... [--partitions N] [--replication-factor R] [--config k=v ...]
                    [--validate-only] [--if-not-exists]
      delete TOPIC ... [--if-exists]
      alter TOPIC --partitions N        grow to N partitions
      alter-config TOPIC --config k=v | --delete-config k | --append-config k=v | --subtract-config k=v
      list / describe [TOPIC ...] [--include-internal]
      offsets TOPIC [--time earliest|latest|max-timestamp|MS] [--partition P ...] [--read-committed]
      delete-records TOPIC [--partition P ...] [--offset O]   records before O go (default: all)
  configs describe|alter -b host:port (--topic T | --broker ID | --broker-defaults) ...
      describe [--key NAME ...] [--all]  non-default configs (--all: every one, with its source)
      alter --config k=v | --delete-config k ... [--validate-only]   (IncrementalAlterConfigs)
  cluster describe -b host:port        cluster id, controller and brokers
  users describe|alter -b host:port [USER ...]   SCRAM credentials (KIP-554)
      alter USER ... (--password P [--iterations N] | --delete) [--mechanism SCRAM-SHA-256|SCRAM-SHA-512]
  groups list|describe|delete|reset-offsets -b host:port [GROUP ...]
      describe GROUP ...    state, members and assignments; per partition the committed offset, log end
                            offset and lag (--read-committed: end offsets as read_committed consumers see them)
      reset-offsets GROUP (--topic T[:P,P] ... | --all-topics) (--to-earliest | --to-latest | --to-offset N |
                    --shift-by N | --to-timestamp MS | --to-datetime YYYY-MM-DDTHH:MM:SS) [--execute]
                            prints the plan; commits it only with --execute (the group must be empty)
  transactions list|describe|describe-producers|abort -b host:port
      list [--state S ...]  describe TXN_ID ...
      describe-producers --topic T --partition P
      abort --topic T --partition P (--start-offset O | --producer-id ID)
                            KIP-664: ends a hanging transaction with an ABORT marker from the partition leader

common options:
  -b host:port[,host:port]   bootstrap brokers (default: $KWIRE_BOOTSTRAP)
  -X key=value               any client property (client.id, request.timeout.ms, ...)
  --json                     machine-readable output
  -d category[,category]     debug logs on stderr (produce, perf): broker, protocol, producer,
                             metadata, security, idempotence, or all
  --stats                    print the producer's statistics at the end (produce, perf);
                             with --json as one JSON object on its own line (docs/observability.md);
                             -X statistics.interval.ms=N adds one JSON line on stderr every N ms
                             (also consume -G and perf --consume: the consumer's statistics)
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string_view command = argv[1];
  if (command == "--version") {
    std::printf("kwire %s\n", kwire::version_string);
    return 0;
  }
  try {
    if (command == "api-versions") return kwire::cli::run_api_versions(argc - 2, argv + 2);
    if (command == "metadata") return kwire::cli::run_metadata(argc - 2, argv + 2);
    if (command == "produce") return kwire::cli::run_produce(argc - 2, argv + 2);
    if (command == "copy") return kwire::cli::run_copy(argc - 2, argv + 2);
    if (command == "consume") return kwire::cli::run_consume(argc - 2, argv + 2);
    if (command == "conformance") return kwire::cli::run_conformance(argc - 2, argv + 2);
    if (command == "perf") return kwire::cli::run_perf(argc - 2, argv + 2);
    if (command == "dump-log") return kwire::cli::run_dump_log(argc - 2, argv + 2);
    if (command == "topics") return kwire::cli::run_topics(argc - 2, argv + 2);
    if (command == "configs") return kwire::cli::run_configs(argc - 2, argv + 2);
    if (command == "cluster") return kwire::cli::run_cluster(argc - 2, argv + 2);
    if (command == "groups") return kwire::cli::run_groups(argc - 2, argv + 2);
    if (command == "users") return kwire::cli::run_users(argc - 2, argv + 2);
    if (command == "transactions") return kwire::cli::run_transactions(argc - 2, argv + 2);
    std::fprintf(stderr, "kwire: unknown command '%s'\n\n%s", argv[1], kUsage);
    return 2;
  } catch (const kwire::cli::UsageError& e) {
    std::fprintf(stderr, "kwire %s: %s\n\n%s", argv[1], e.what(), kUsage);
    return 2;
  } catch (const kwire::ConfigError& e) {
    std::fprintf(stderr, "kwire %s: configuration error: %s\n", argv[1], e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kwire %s: %s\n", argv[1], e.what());
    return 1;
  }
}
