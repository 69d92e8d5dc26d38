#include "transaction_errors.hpp"

#include <string>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer {
namespace {

using Category = TransactionErrorCategory;
using Api = TransactionApi;

Category classify_kafka(kwire::errc e, Api api, const TransactionErrorContext& context) noexcept {
  const bool produce = api == Api::produce;
  switch (e) {
    case errc::none: return Category::none;

    case errc::coordinator_load_in_progress:
    case errc::concurrent_transactions:
    case errc::not_enough_replicas:
    case errc::not_enough_replicas_after_append:
    case errc::unknown_leader_epoch:
    case errc::offset_not_available:
    case errc::unstable_offset_commit:
      return Category::retriable;
    case errc::request_timed_out:
      // Java's TxnOffsetCommitHandler looks the group coordinator up again.
      return api == Api::txn_offset_commit ? Category::refresh_retriable : Category::retriable;
    case errc::unknown_topic_or_partition:
      return produce ? Category::refresh_retriable : Category::retriable;

    case errc::not_coordinator:
    case errc::coordinator_not_available:
      return Category::refresh_retriable;

    case errc::transaction_abortable:
    case errc::topic_authorization_failed:
    case errc::group_authorization_failed:
    case errc::operation_not_attempted:
      return Category::abortable;
    case errc::unknown_member_id:
    case errc::illegal_generation:
    case errc::fenced_instance_id:
      // The consumer was rebalanced away: its offsets must not commit
      // (KIP-447); the application aborts and rewinds.
      return api == Api::txn_offset_commit ? Category::abortable : Category::fatal;
    case errc::unknown_producer_id:
    case errc::out_of_order_sequence_number:
      return context.epoch_bump_possible ? Category::abortable : Category::fatal;
    case errc::invalid_producer_epoch:
      // KIP-588: on the produce path it means the coordinator aborted the
      // transaction (e.g. on timeout) and bumped the epoch; from a
      // coordinator it means another instance did.
      return produce ? Category::abortable : Category::fenced;
    case errc::invalid_txn_state:
      return produce ? Category::abortable : Category::fatal;
    case errc::transactional_id_authorization_failed:
    case errc::cluster_authorization_failed:
      // Java: initTransactions may be called again once the ACLs allow it.
      return api == Api::init_producer_id ? Category::abortable : Category::fatal;

    case errc::producer_fenced:
    case errc::transaction_coordinator_fenced:
      return Category::fenced;

    case errc::invalid_producer_id_mapping:  // fatal since KAFKA-18019 (Kafka 4.0)
    case errc::invalid_transaction_timeout:
    case errc::unsupported_version:
    case errc::unsupported_for_message_format:
      return Category::fatal;

    default: break;
  }
  if (produce) {
    // Any other batch failure: the record is not in the log, so the
    // transaction must not commit (librdkafka #3325). Metadata errors are
    // the sender's to retry.
    const ErrorTraits traits = error_traits(e);
    if (traits.refresh_metadata) return Category::refresh_retriable;
    if (traits.retriable) return Category::retriable;
    return Category::abortable;
  }
  return Category::fatal;  // unexpected from a coordinator (Java's default branch)
}

Category classify_client(std::error_code error, Api api) noexcept {
  if (error == client_errc::disconnected) return Category::refresh_retriable;
  if (error == client_errc::timed_out)
    // A request timeout: retried (Java's NetworkClient disconnects, then the
    // handler looks the coordinator up again). A batch's delivery timeout
    // on the produce path fails the record: abortable.
    return api == Api::produce ? Category::abortable : Category::refresh_retriable;
  if (api == Api::produce) return Category::abortable;
  return Category::fatal;
}

}  // namespace

std::string_view to_string(TransactionApi api) noexcept {
  switch (api) {
    case Api::find_coordinator: return "FindCoordinator";
    case Api::init_producer_id: return "InitProducerId";
    case Api::add_partitions_to_txn: return "AddPartitionsToTxn";
    case Api::add_offsets_to_txn: return "AddOffsetsToTxn";
    case Api::txn_offset_commit: return "TxnOffsetCommit";
    case Api::end_txn: return "EndTxn";
    case Api::produce: return "Produce";
  }
  return "?";
}

std::string_view to_string(TransactionErrorCategory category) noexcept {
  switch (category) {
    case Category::none: return "none";
    case Category::retriable: return "retriable";
    case Category::refresh_retriable: return "refresh-retriable";
    case Category::abortable: return "abortable";
    case Category::fenced: return "fenced";
    case Category::fatal: return "fatal";
  }
  return "?";
}

TransactionErrorCategory classify_transaction_error(std::error_code error, TransactionApi api,
                                                    const TransactionErrorContext& context) noexcept {
  if (!error) return Category::none;
  Category category = error.category() == kafka_category()
                          ? classify_kafka(static_cast<kwire::errc>(error.value()), api, context)
                          : classify_client(error, api);
  // KAFKA-19250: aborting must not end in "abort the transaction".
  if (category == Category::abortable && context.aborting && api != Api::produce) category = Category::fatal;
  return category;
}

TransactionErrorCategory retries_exhausted(const TransactionErrorContext& context) noexcept {
  return context.aborting ? Category::fatal : Category::abortable;
}

namespace {

class TransactionCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kwire.transaction"; }
  std::string message(int value) const override {
    switch (static_cast<transaction_errc>(value)) {
      case transaction_errc::ok: return "success";
      case transaction_errc::invalid_state: return "the call is not allowed in the transaction's current state";
      case transaction_errc::operation_pending:
        return "a previous transactional call timed out and is still pending: call it again";
      case transaction_errc::aborted: return "the transaction was aborted";
      case transaction_errc::retries_exhausted: return "a transactional request kept failing with retriable errors";
    }
    return "unknown transaction error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& transaction_category() noexcept {
  static const TransactionCategory category;
  return category;
}

}  // namespace kwire::producer
