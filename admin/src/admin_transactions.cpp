// Admin: transactions — list, describe, describe producers and the KIP-664
// abort of a hanging transaction.
#include "channel.hpp"
#include "kwire/admin/translate.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::admin {

std::vector<TransactionListing> Admin::list_transactions(const std::vector<std::string>& states) {
  protocol::ListTransactionsRequest request;
  request.state_filters = states;
  std::vector<TransactionListing> all;
  for (const auto& [node, response] : channel_->call_every_broker(request)) {
    auto listed = translate::transaction_listings(response);
    all.insert(all.end(), listed.begin(), listed.end());
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.transactional_id < b.transactional_id; });
  return all;
}

std::vector<TransactionDescription> Admin::describe_transactions(const std::vector<std::string>& ids) {
  std::vector<TransactionDescription> out;
  for (const auto& id : ids) {
    try {
      protocol::DescribeTransactionsRequest request;
      request.transactional_ids = {id};
      using Req = protocol::DescribeTransactionsRequest;
      using Resp = protocol::DescribeTransactionsResponse;
      auto described = translate::transaction_descriptions(
          channel_->call(Route::transaction_coordinator(id), request,
                         by_verdict<Req, Resp>()));
      if (described.empty()) {
        TransactionDescription missing;
        missing.transactional_id = id;
        missing.error = {make_error_code(client_errc::malformed), "the broker's answer does not mention " + id};
        out.push_back(std::move(missing));
      } else {
        out.push_back(std::move(described.front()));
      }
    } catch (const AdminError& e) {
      TransactionDescription failed;
      failed.transactional_id = id;
      failed.error = {e.code(), e.what()};
      out.push_back(std::move(failed));
    }
  }
  return out;
}

std::vector<ProducerState> Admin::describe_producers(const TopicPartition& partition) {
  using Req = protocol::DescribeProducersRequest;
  using Resp = protocol::DescribeProducersResponse;
  const auto response =
      channel_->call(Route::leader(partition), translate::describe_producers_request(partition),
                     by_verdict<Req, Resp>());
  ItemError error;
  auto states = translate::producer_states(response, partition, error);
  if (!error.ok()) throw AdminError(error.error, "DescribeProducers: " + error.message());
  return states;
}

namespace {

/// KIP-664's two steps: DescribeProducers on the partition leader (through
/// `producers`), `choose` the producer whose transaction hangs, then an
/// ABORT marker written by the same leader.
template <class Choose>
std::optional<AbortSpec> abort_on_leader(Admin::Channel& channel, const std::vector<ProducerState>& producers,
                                         Choose choose, ItemError& error) {
  auto spec = choose(producers, error);
  if (!spec) return spec;
  const auto response = channel.call(Route::leader(spec->partition), translate::abort_markers_request(*spec),
                                     by_verdict<protocol::WriteTxnMarkersRequest>());
  error = translate::abort_result(response, *spec);
  return spec;
}

}  // namespace

std::optional<AbortSpec> Admin::abort_transaction(const TopicPartition& partition, std::int64_t start_offset,
                                                  ItemError& error) {
  return abort_by(partition, error, [&](const std::vector<ProducerState>& producers, ItemError& why) {
    return translate::abort_spec(producers, partition, start_offset, why);
  });
}

std::optional<AbortSpec> Admin::abort_producer_transaction(const TopicPartition& partition, std::int64_t producer_id,
                                                           ItemError& error) {
  return abort_by(partition, error, [&](const std::vector<ProducerState>& producers, ItemError& why) {
    return translate::abort_spec_for_producer(producers, partition, producer_id, why);
  });
}

std::optional<AbortSpec> Admin::abort_by(const TopicPartition& partition, ItemError& error,
                                         const std::function<std::optional<AbortSpec>(const std::vector<ProducerState>&,
                                                                                      ItemError&)>& choose) {
  try {
    return abort_on_leader(*channel_, describe_producers(partition), choose, error);
  } catch (const AdminError& e) {
    error = {e.code(), e.what()};
    return std::nullopt;
  }
}

}  // namespace kwire::admin
