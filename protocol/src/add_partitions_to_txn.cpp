#include "kwire/protocol/add_partitions_to_txn.hpp"

#include "codec_support.hpp"
#include "topic_partitions_codec.hpp"

namespace kwire::protocol {
namespace {

using Request = AddPartitionsToTxnRequest;
using Response = AddPartitionsToTxnResponse;

bool batched(std::int16_t version) noexcept { return version >= Request::first_batched_version; }

bool single_transaction_is_default(const Request& r) noexcept {
  return r.v3_and_below_transactional_id.empty() && r.v3_and_below_producer_id == 0 &&
         r.v3_and_below_producer_epoch == 0 && r.v3_and_below_topics.empty();
}

// Transactional id, producer id, epoch, [verify_only,] topics array.
std::size_t transaction_min_size() noexcept { return 1 + 8 + 2 + 1 + 1 + 1; }
std::size_t transaction_result_min_size() noexcept { return 1 + 1 + 1; }

}  // namespace

// ---------------------------------------------------------------- request

std::error_code AddPartitionsToTxnRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  // Validate first so that a refused encode writes nothing.
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  if (batched(version)) {
    if (!single_transaction_is_default(*this)) return codec::not_in_version();
    for (const Transaction& t : transactions)
      if (!codec::tags_fit(t.topics, flex)) return codec::not_in_version();
  } else {
    if (!transactions.empty() || !codec::tags_fit(v3_and_below_topics, flex)) return codec::not_in_version();
  }

  if (batched(version)) {
    codec::write_array(out, transactions, flex, [&](const Transaction& t) {
      out.write_string(t.transactional_id, flex);
      out.write_int64(t.producer_id);
      out.write_int16(t.producer_epoch);
      out.write_bool(t.verify_only);
      codec::write_topics(out, t.topics, flex);
      codec::write_tags(out, t.unknown_tags, flex);
    });
  } else {
    out.write_string(v3_and_below_transactional_id, flex);
    out.write_int64(v3_and_below_producer_id);
    out.write_int16(v3_and_below_producer_epoch);
    codec::write_topics(out, v3_and_below_topics, flex);
  }
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code AddPartitionsToTxnRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};
  if (batched(version)) {
    read_array(in, flex, transaction_min_size(), transactions, [&](Transaction& t) {
      t.transactional_id = in.read_string(flex);
      t.producer_id = in.read_int64();
      t.producer_epoch = in.read_int16();
      t.verify_only = in.read_bool();
      codec::read_topics(in, t.topics, flex);
      codec::read_tags(in, t.unknown_tags, flex);
    });
  } else {
    v3_and_below_transactional_id = in.read_string(flex);
    v3_and_below_producer_id = in.read_int64();
    v3_and_below_producer_epoch = in.read_int16();
    codec::read_topics(in, v3_and_below_topics, flex);
  }
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code AddPartitionsToTxnResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  if (batched(version)) {
    if (!results_by_topic_v3_and_below.empty()) return codec::not_in_version();
    for (const TransactionResult& t : results_by_transaction)
      if (!codec::tags_fit(t.topic_results, flex)) return codec::not_in_version();
  } else {
    if (error_code != kwire::errc::none || !results_by_transaction.empty()) return codec::not_in_version();
    if (!codec::tags_fit(results_by_topic_v3_and_below, flex)) return codec::not_in_version();
  }

  out.write_int32(throttle_time_ms);
  if (batched(version)) {
    out.write_int16(static_cast<std::int16_t>(error_code));
    codec::write_array(out, results_by_transaction, flex, [&](const TransactionResult& t) {
      out.write_string(t.transactional_id, flex);
      codec::write_topics(out, t.topic_results, flex);
      codec::write_tags(out, t.unknown_tags, flex);
    });
  } else {
    codec::write_topics(out, results_by_topic_v3_and_below, flex);
  }
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code AddPartitionsToTxnResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  if (batched(version)) {
    error_code = static_cast<kwire::errc>(in.read_int16());
    read_array(in, flex, transaction_result_min_size(), results_by_transaction, [&](TransactionResult& t) {
      t.transactional_id = in.read_string(flex);
      codec::read_topics(in, t.topic_results, flex);
      codec::read_tags(in, t.unknown_tags, flex);
    });
  } else {
    codec::read_topics(in, results_by_topic_v3_and_below, flex);
  }
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
