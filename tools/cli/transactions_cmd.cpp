// kwire transactions list|describe|describe-producers|abort:
// kafka-transactions without the JVM; abort is KIP-664's way out of a
// hanging transaction (its producer gone, the LSO stuck).
#include <cstdio>

#include "admin_args.hpp"
#include "commands.hpp"

namespace kwire::cli {
namespace {

int transactions_list(const AdminArgs& args) {
  const auto listed = make_admin(args.common)->list_transactions(args.all("--state"));
  JsonWriter json;
  json.begin_array();
  if (!args.common.json) std::printf("%-32s %-14s %s\n", "TRANSACTIONAL-ID", "PRODUCER-ID", "STATE");
  for (const auto& t : listed) {
    if (args.common.json)
      json.begin_object().key("transactional_id").value(t.transactional_id).key("producer_id").value(t.producer_id)
          .key("state").value(t.state).end_object();
    else
      std::printf("%-32s %-14lld %s\n", t.transactional_id.c_str(), static_cast<long long>(t.producer_id),
                  t.state.c_str());
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return 0;
}

int transactions_describe(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("transactions describe needs a transactional id");
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& t : make_admin(args.common)->describe_transactions(args.common.positional)) {
    if (!t.error.ok()) code = 1;
    std::string partitions;
    for (const auto& tp : t.partitions)
      partitions += (partitions.empty() ? "" : ",") + tp.topic + "-" + std::to_string(tp.partition);
    if (args.common.json) {
      json.begin_object().key("transactional_id").value(t.transactional_id).key("state").value(t.state)
          .key("producer_id").value(t.producer_id).key("producer_epoch").value(static_cast<std::int64_t>(t.producer_epoch))
          .key("timeout_ms").value(static_cast<std::int64_t>(t.timeout_ms)).key("start_time_ms").value(t.start_time_ms);
      json.key("partitions").begin_array();
      for (const auto& tp : t.partitions)
        json.begin_object().key("topic").value(tp.topic)
            .key("partition").value(static_cast<std::int64_t>(tp.partition)).end_object();
      json.end_array();
      write_error(json, t.error);
      json.end_object();
    } else if (!t.error.ok()) {
      std::fprintf(stderr, "Error for transactional id %s: %s\n", t.transactional_id.c_str(), t.error.message().c_str());
    } else {
      std::printf("%s: state %s, producer %lld epoch %d, timeout %d ms, started %lld, partitions %s\n",
                  t.transactional_id.c_str(), t.state.c_str(), static_cast<long long>(t.producer_id), t.producer_epoch,
                  t.timeout_ms, static_cast<long long>(t.start_time_ms), partitions.empty() ? "-" : partitions.c_str());
    }
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return code;
}

admin::TopicPartition partition_of(const AdminArgs& args) {
  const auto topic = args.value("--topic");
  if (!topic) throw UsageError("--topic is required");
  return {*topic, static_cast<std::int32_t>(args.integer("--partition"))};
}

int transactions_describe_producers(const AdminArgs& args) {
  const auto tp = partition_of(args);
  const auto producers = make_admin(args.common)->describe_producers(tp);
  JsonWriter json;
  json.begin_array();
  if (!args.common.json)
    std::printf("%-14s %-8s %-14s %-18s %s\n", "PRODUCER-ID", "EPOCH", "LAST-SEQUENCE", "COORDINATOR-EPOCH",
                "TXN-START-OFFSET");
  for (const auto& p : producers) {
    if (args.common.json)
      json.begin_object().key("producer_id").value(p.producer_id)
          .key("producer_epoch").value(static_cast<std::int64_t>(p.producer_epoch))
          .key("last_sequence").value(static_cast<std::int64_t>(p.last_sequence))
          .key("last_timestamp").value(p.last_timestamp)
          .key("coordinator_epoch").value(static_cast<std::int64_t>(p.coordinator_epoch))
          .key("transaction_start_offset").value(p.transaction_start_offset).end_object();
    else
      std::printf("%-14lld %-8d %-14d %-18d %s\n", static_cast<long long>(p.producer_id), p.producer_epoch,
                  p.last_sequence, p.coordinator_epoch,
                  p.transaction_start_offset >= 0 ? std::to_string(p.transaction_start_offset).c_str() : "None");
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return 0;
}

int transactions_abort(const AdminArgs& args) {
  const auto tp = partition_of(args);
  auto admin = make_admin(args.common);
  admin::ItemError error;
  std::optional<admin::AbortSpec> spec;
  if (args.value("--start-offset"))
    spec = admin->abort_transaction(tp, args.integer("--start-offset"), error);
  else if (args.value("--producer-id"))
    spec = admin->abort_producer_transaction(tp, args.integer("--producer-id"), error);
  else
    throw UsageError("transactions abort needs --start-offset OFFSET or --producer-id ID");
  if (args.common.json) {
    JsonWriter json;
    json.begin_object().key("topic").value(tp.topic).key("partition").value(static_cast<std::int64_t>(tp.partition));
    if (spec)
      json.key("producer_id").value(spec->producer_id)
          .key("producer_epoch").value(static_cast<std::int64_t>(spec->producer_epoch))
          .key("coordinator_epoch").value(static_cast<std::int64_t>(spec->coordinator_epoch));
    write_error(json, error);
    json.end_object();
    std::printf("%s\n", json.str().c_str());
  } else if (error.ok()) {
    std::printf("Aborted the transaction of producer %lld (epoch %d) on %s-%d.\n",
                static_cast<long long>(spec->producer_id), spec->producer_epoch, tp.topic.c_str(), tp.partition);
  } else {
    std::fprintf(stderr, "Abort on %s-%d failed: %s\n", tp.topic.c_str(), tp.partition, error.message().c_str());
  }
  return error.ok() ? 0 : 1;
}

}  // namespace

int run_transactions(int argc, char** argv) {
  if (argc < 1) throw UsageError("transactions needs an action: list, describe, describe-producers, abort");
  const std::string action = argv[0];
  const AdminArgs args = parse_admin_args(argc - 1, argv + 1,
                                          {"--state", "--topic", "--partition", "--start-offset", "--producer-id"}, {});
  if (action == "list") return transactions_list(args);
  if (action == "describe") return transactions_describe(args);
  if (action == "describe-producers") return transactions_describe_producers(args);
  if (action == "abort") return transactions_abort(args);
  throw UsageError("unknown transactions action '" + action + "'");
}

}  // namespace kwire::cli
