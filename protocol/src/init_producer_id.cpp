#include "kwire/protocol/init_producer_id.hpp"

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

using Request = InitProducerIdRequest;

bool in_range(std::int16_t version) noexcept {
  return version >= Request::min_version && version <= Request::max_version;
}

bool flexible(std::int16_t version) noexcept { return version >= Request::first_flexible_version; }

std::error_code not_in_version() noexcept { return make_error_code(client_errc::field_not_in_version); }

}  // namespace

// ---------------------------------------------------------------- request

std::error_code InitProducerIdRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  // Validate first so that a refused encode writes nothing. Dropping the
  // producer id/epoch silently below v3 would turn a KIP-360 epoch bump into
  // a request for a brand-new producer id.
  if (version < first_epoch_bump_version && (producer_id != -1 || producer_epoch != -1)) return not_in_version();
  if (version < first_two_phase_commit_version && (enable_2pc || keep_prepared_txn)) return not_in_version();
  if (!flex && !unknown_tags.empty()) return not_in_version();

  out.write_nullable_string(transactional_id, flex);
  out.write_int32(transaction_timeout_ms);
  if (version >= first_epoch_bump_version) {
    out.write_int64(producer_id);
    out.write_int16(producer_epoch);
  }
  if (version >= first_two_phase_commit_version) {
    out.write_bool(enable_2pc);
    out.write_bool(keep_prepared_txn);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code InitProducerIdRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  *this = {};
  transactional_id = in.read_nullable_string(flex);
  transaction_timeout_ms = in.read_int32();
  if (version >= first_epoch_bump_version) {
    producer_id = in.read_int64();
    producer_epoch = in.read_int16();
  }
  if (version >= first_two_phase_commit_version) {
    enable_2pc = in.read_bool();
    keep_prepared_txn = in.read_bool();
  }
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code InitProducerIdResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  const bool two_phase = version >= first_two_phase_commit_version;
  if (!flex && !unknown_tags.empty()) return not_in_version();
  if (!two_phase && (ongoing_txn_producer_id != -1 || ongoing_txn_producer_epoch != -1)) return not_in_version();

  out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_int64(producer_id);
  out.write_int16(producer_epoch);
  if (two_phase) {
    out.write_int64(ongoing_txn_producer_id);
    out.write_int16(ongoing_txn_producer_epoch);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code InitProducerIdResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  producer_id = in.read_int64();
  producer_epoch = in.read_int16();
  if (version >= first_two_phase_commit_version) {
    ongoing_txn_producer_id = in.read_int64();
    ongoing_txn_producer_epoch = in.read_int16();
  }
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
