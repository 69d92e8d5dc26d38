// The "produce" group (kwire::Producer per codec and acks level, read back
// with Fetch) and the "idempotence" group (raw sequenced Produce requests).
#include <algorithm>
#include <future>
#include <mutex>
#include <set>

#include <kwire/compression/codec.hpp>
#include <kwire/producer/producer.hpp>
#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/init_producer_id.hpp>
#include <kwire/protocol/kafka_error.hpp>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

void Suite::run_produce() {
  static const std::vector<std::string> codecs{"none", "gzip", "snappy", "lz4", "zstd"};
  static const std::vector<std::string> acks_levels{"0", "1", "all"};
  for (const auto& codec_name : codecs) {
    for (const auto& acks : acks_levels) {
      const std::string label = codec_name + " acks=" + acks;
      Cell c = cell("produce", label);
      c.topic = topic_;
      c.partition = partition_;
      c.record_set = label;
      auto fail = [&](std::string why) {
        c.status = Status::fail;
        c.detail = std::move(why);
        add(std::move(c));
      };
      // zstd needs Produce v7 and Fetch v10 (KIP-110).
      if (codec_name == "zstd" && (!advertises(ApiKey::produce, 7) || !advertises(ApiKey::fetch, 10))) {
        c.status = Status::not_offered;
        c.detail = "zstd needs Produce v7+ and Fetch v10+; " + advertised_text(ApiKey::produce) + ", " +
                   advertised_text(ApiKey::fetch);
        add(std::move(c));
        continue;
      }

      std::string why;
      std::int64_t before = -1;
      if (log_end_offset(before, why)) {
        fail("log end offset before producing: " + why);
        continue;
      }

      const auto records = known_record_set(label);
      const std::int64_t base_ts = now_ms();
      std::vector<std::int64_t> timestamps;
      std::vector<producer::DeliveryReport> reports(records.size());
      std::mutex errors_mutex;
      std::string producer_errors;
      {
        auto properties = options_.properties;
        properties["acks"] = acks;
        properties["compression.type"] = codec_name;
        properties["client.id"] = "kwire-conformance";
        properties.try_emplace("request.timeout.ms", "15000");
        properties.try_emplace("delivery.timeout.ms", "30000");
        properties.try_emplace("max.block.ms", "15000");
        // Idempotence is off: this group checks delivery per acks level;
        // the idempotence group checks the sequence rules on the wire.
        properties["enable.idempotence"] = "false";
        std::unique_ptr<kwire::Producer> producer;
        try {
          producer = std::make_unique<kwire::Producer>(properties, [&](producer::LogLevel level, std::string_view m) {
            if (level < producer::LogLevel::warning) return;
            std::lock_guard lock(errors_mutex);
            if (producer_errors.size() < 400) producer_errors += std::string(producer_errors.empty() ? "" : "; ") + std::string(m);
          });
        } catch (const std::exception& e) {
          fail(std::string("producer configuration: ") + e.what());
          continue;
        }
        std::vector<std::future<producer::RecordMetadata>> futures;
        std::vector<producer::HeaderView> header_views;
        for (std::size_t i = 0; i < records.size(); ++i) {
          const auto& r = records[i];
          producer::ProducerRecord record;
          record.topic = topic_;
          record.partition = partition_;
          if (r.key) record.key = std::vector<std::uint8_t>(r.key->begin(), r.key->end());
          if (r.value) record.value = std::vector<std::uint8_t>(r.value->begin(), r.value->end());
          for (const auto& h : r.headers) {
            producer::Header header;
            header.key = h.key;
            if (h.value) header.value = std::vector<std::uint8_t>(h.value->begin(), h.value->end());
            record.headers.push_back(std::move(header));
          }
          record.timestamp_ms = base_ts + static_cast<std::int64_t>(i);
          timestamps.push_back(*record.timestamp_ms);
          futures.push_back(producer->send(record));
        }
        producer->flush(options_.cell_timeout);
        for (std::size_t i = 0; i < futures.size(); ++i) {
          try {
            reports[i].metadata = futures[i].get();
          } catch (const std::system_error& e) {
            reports[i].error = e.code();
          }
        }
        producer->close(std::chrono::seconds(5));
      }
      std::string delivery_error;
      for (std::size_t i = 0; i < reports.size() && delivery_error.empty(); ++i)
        if (!reports[i].ok())
          delivery_error = "record " + std::to_string(i) + " not delivered: " + error_name(reports[i].error) +
                           (producer_errors.empty() ? "" : " (" + producer_errors + ")");
      if (!delivery_error.empty()) {
        fail(delivery_error);
        continue;
      }
      // Where the records went: acks 1/all report offsets; acks=0 reports
      // none, so the log end offset has to move by the record count.
      const std::int64_t expected_end = before + static_cast<std::int64_t>(records.size());
      std::int64_t end = -1;
      if (wait_for_end_offset(expected_end, end, why)) {
        fail(why);
        continue;
      }
      if (end != expected_end) {
        fail("log end offset moved from " + std::to_string(before) + " to " + std::to_string(end) + " for " +
             std::to_string(records.size()) + " records");
        continue;
      }
      std::string offset_error;
      for (std::size_t i = 0; i < reports.size() && acks != "0" && offset_error.empty(); ++i)
        if (reports[i].metadata.offset != before + static_cast<std::int64_t>(i))
          offset_error = "record " + std::to_string(i) + " reported at offset " +
                         std::to_string(reports[i].metadata.offset) + ", expected " +
                         std::to_string(before + static_cast<std::int64_t>(i));
      if (!offset_error.empty()) {
        fail(offset_error);
        continue;
      }
      c.first_offset = before;
      c.end_offset = end;

      std::vector<protocol::Record> got;
      std::vector<protocol::RecordBatch> batches;
      if (reader_->read_range(before, end, got, &why, protocol::FetchRequest::max_version,
                              std::chrono::steady_clock::now() + options_.cell_timeout, &batches)) {
        fail("read back: " + why);
        continue;
      }
      const bool append_time =
          std::any_of(batches.begin(), batches.end(), [](const auto& b) { return b.uses_log_append_time(); });
      if (std::string diff = compare_records(got, records, before, append_time ? std::vector<std::int64_t>{} : timestamps);
          !diff.empty()) {
        fail(diff);
        continue;
      }
      // How the endpoint stored the batches (it may recompress when the
      // topic's compression.type is not "producer"): reported, not judged.
      std::set<std::string> stored;
      for (const auto& b : batches) stored.insert(std::string(compression::codec_name(b.codec())));
      std::string stored_text;
      for (const auto& s : stored) stored_text += (stored_text.empty() ? "" : "+") + s;
      c.status = Status::pass;
      c.detail = std::to_string(records.size()) + " records at offsets " + std::to_string(before) + "-" +
                 std::to_string(end - 1) + " read back intact in " + std::to_string(batches.size()) + " batch" +
                 (batches.size() == 1 ? "" : "es") + " stored as " + stored_text;
      add(std::move(c));
    }
  }
}

// -------------------------------------------------------------- idempotence

void Suite::run_idempotence() {
  auto not_offered_all = [&](const std::string& why) {
    for (const char* name : {"InitProducerId", "sequenced batch", "duplicate resend", "next sequence", "sequence gap"}) {
      Cell c = cell("idempotence", name);
      c.status = Status::not_offered;
      c.detail = why;
      add(std::move(c));
    }
  };
  if (!advertised(ApiKey::init_producer_id)) return not_offered_all(advertised_text(ApiKey::init_producer_id));

  // 1. A producer id.
  Cell init = cell("idempotence", "InitProducerId");
  protocol::InitProducerIdResponse id;
  std::int16_t used = -1;
  if (std::string why = init_producer_id(protocol::InitProducerIdRequest::max_version, id, used); !why.empty()) {
    init.status = Status::fail;
    init.detail = "InitProducerId v" + std::to_string(used) + ": " + why;
  } else if (id.producer_id < 0 || id.producer_epoch < 0) {
    init.status = Status::fail;
    init.detail = "InitProducerId v" + std::to_string(used) + ": producer id " + std::to_string(id.producer_id) +
                  ", epoch " + std::to_string(id.producer_epoch);
  } else {
    init.detail = "producer id " + std::to_string(id.producer_id) + ", epoch " + std::to_string(id.producer_epoch) +
                  " (v" + std::to_string(used) + ")";
  }
  const bool have_id = init.status == Status::pass;
  add(std::move(init));
  if (!have_id) {
    for (const char* name : {"sequenced batch", "duplicate resend", "next sequence", "sequence gap"}) {
      Cell c = cell("idempotence", name);
      c.status = Status::fail;
      c.detail = "no producer id";
      add(std::move(c));
    }
    return;
  }

  
  const auto& topic_id = reader_->location().topic_id;
  auto sequenced = [&](const std::string& label, std::int32_t base_sequence, std::size_t count) {
    std::vector<TestRecord> records;
    for (std::size_t i = 0; i < count; ++i)
      records.push_back({"idempotent-" + std::to_string(base_sequence + static_cast<std::int32_t>(i)),
                         label + " record " + std::to_string(i), {{"seq", std::to_string(base_sequence + static_cast<std::int32_t>(i))}}});
    return records;
  };
  protocol::BatchSealParams seal;
  seal.producer_id = id.producer_id;
  seal.producer_epoch = id.producer_epoch;

  // 2. Sequence 0..2.
  Cell first = cell("idempotence", "sequenced batch");
  first.topic = topic_;
  first.partition = partition_;
  const auto first_records = sequenced("first", 0, 3);
  seal.base_sequence = 0;
  const auto first_batch = build_batch(first_records, now_ms(), seal);
  protocol::ProduceResponse::PartitionResponse answer;
  std::string why;
  std::int64_t base = -1;
  if (produce_raw(leader(), topic_, topic_id, partition_, first_batch, -1, protocol::ProduceRequest::max_version, answer,
                  used, why)) {
    first.status = Status::fail;
    first.detail = why;
  } else if (answer.error_code != kwire::errc::none) {
    first.status = Status::fail;
    first.detail = "Produce v" + std::to_string(used) + ": " + error_name(make_error_code(answer.error_code));
  } else {
    base = answer.base_offset;
    first.detail = "sequences 0-2 at offsets " + std::to_string(base) + "-" + std::to_string(base + 2);
    first.first_offset = base;
    first.end_offset = base + 3;
  }
  add(std::move(first));
  if (base < 0) {
    for (const char* name : {"duplicate resend", "next sequence", "sequence gap"}) {
      Cell c = cell("idempotence", name);
      c.status = Status::fail;
      c.detail = "the first sequenced batch failed";
      add(std::move(c));
    }
    return;
  }

  // 3. The same bytes again: a retry after a lost response. The broker must
  // answer success with the original offset (or DUPLICATE_SEQUENCE_NUMBER,
  // as 0.11-era brokers did) and must not append it again.
  Cell dup = cell("idempotence", "duplicate resend");
  dup.topic = topic_;
  dup.partition = partition_;
  std::string dup_error;
  if (produce_raw(leader(), topic_, topic_id, partition_, first_batch, -1, protocol::ProduceRequest::max_version, answer,
                  used, why)) {
    dup_error = why;
  } else if (answer.error_code == kwire::errc::none) {
    if (answer.base_offset != base)
      dup_error = "answered NONE at offset " + std::to_string(answer.base_offset) + ", the original is at " +
                  std::to_string(base) + ": the batch was stored twice";
    else
      dup.detail = "answered NONE with the original offset " + std::to_string(base);
  } else if (answer.error_code == kwire::errc::duplicate_sequence_number) {
    dup.detail = "answered DUPLICATE_SEQUENCE_NUMBER";
  } else {
    dup_error = "answered " + error_name(make_error_code(answer.error_code));
  }
  std::int64_t end = -1;
  if (dup_error.empty() && log_end_offset(end, why)) dup_error = "log end offset: " + why;
  if (dup_error.empty() && end != base + 3)
    dup_error = "log end offset " + std::to_string(end) + " after the resend, expected " + std::to_string(base + 3);
  if (dup_error.empty()) {
    std::vector<protocol::Record> got;
    std::vector<protocol::RecordBatch> batches;
    if (reader_->read_range(base, end, got, &why, protocol::FetchRequest::max_version,
                            std::chrono::steady_clock::now() + options_.cell_timeout, &batches)) {
      dup_error = "read back: " + why;
    } else if (std::string diff = compare_records(got, first_records, base); !diff.empty()) {
      dup_error = diff;
    } else if (batches.size() != 1 || batches[0].producer_id != id.producer_id || batches[0].base_sequence != 0 ||
               batches[0].producer_epoch != id.producer_epoch) {
      dup_error = "stored batch carries producer id " + std::to_string(batches.empty() ? -1 : batches[0].producer_id) +
                  ", sequence " + std::to_string(batches.empty() ? -1 : batches[0].base_sequence);
    }
  }
  if (!dup_error.empty()) {
    dup.status = Status::fail;
    dup.detail = dup_error;
  } else {
    dup.detail += "; stored once (log end " + std::to_string(end) + ")";
    dup.first_offset = base;
    dup.end_offset = end;
  }
  add(std::move(dup));

  // 4. The next sequence continues the log.
  Cell next = cell("idempotence", "next sequence");
  const auto next_records = sequenced("next", 3, 2);
  seal.base_sequence = 3;
  const auto next_batch = build_batch(next_records, now_ms(), seal);
  std::int64_t before = -1;
  if (log_end_offset(before, why)) {
    next.status = Status::fail;
    next.detail = "log end offset: " + why;
  } else if (produce_raw(leader(), topic_, topic_id, partition_, next_batch, -1, protocol::ProduceRequest::max_version,
                         answer, used, why)) {
    next.status = Status::fail;
    next.detail = why;
  } else if (answer.error_code != kwire::errc::none) {
    next.status = Status::fail;
    next.detail = "sequence 3 after 0-2: " + error_name(make_error_code(answer.error_code));
  } else if (answer.base_offset != before) {
    next.status = Status::fail;
    next.detail = "stored at " + std::to_string(answer.base_offset) + ", the log ended at " + std::to_string(before);
  } else {
    next.detail = "sequences 3-4 at offset " + std::to_string(answer.base_offset);
  }
  add(std::move(next));

  // 5. A gap in the sequence must be refused and nothing stored.
  Cell gap = cell("idempotence", "sequence gap");
  const auto gap_records = sequenced("gap", 100, 1);
  seal.base_sequence = 100;
  const auto gap_batch = build_batch(gap_records, now_ms(), seal);
  if (log_end_offset(before, why)) {
    gap.status = Status::fail;
    gap.detail = "log end offset: " + why;
  } else if (produce_raw(leader(), topic_, topic_id, partition_, gap_batch, -1, protocol::ProduceRequest::max_version,
                         answer, used, why)) {
    gap.status = Status::fail;
    gap.detail = why;
  } else if (answer.error_code != kwire::errc::out_of_order_sequence_number) {
    gap.status = Status::fail;
    gap.detail = "sequence 100 after 4 answered " + error_name(make_error_code(answer.error_code)) +
                 ", expected OUT_OF_ORDER_SEQUENCE_NUMBER";
  } else if (log_end_offset(end, why)) {
    gap.status = Status::fail;
    gap.detail = "log end offset: " + why;
  } else if (end != before) {
    gap.status = Status::fail;
    gap.detail = "refused, but the log end offset moved from " + std::to_string(before) + " to " + std::to_string(end);
  } else {
    gap.detail = "sequence 100 after 4: OUT_OF_ORDER_SEQUENCE_NUMBER, nothing stored";
  }
  add(std::move(gap));
}

}  // namespace kwire::cli::conformance
