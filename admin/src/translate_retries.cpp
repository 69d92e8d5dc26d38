// Which per-item errors go back to the cluster layer's retry loop.
#include <algorithm>

#include "kwire/admin/translate.hpp"

namespace kwire::admin::translate {

using cluster::Retry;

Retry retry_for(kwire::errc code) {
  switch (code) {
    case kwire::errc::not_leader_or_follower:
    case kwire::errc::leader_not_available:
    case kwire::errc::fenced_leader_epoch:
    case kwire::errc::not_controller:
    case kwire::errc::not_coordinator:
    case kwire::errc::coordinator_not_available: return Retry::after_refresh;
    case kwire::errc::coordinator_load_in_progress: return Retry::after_backoff;
    default: return Retry::no;
  }
}

namespace {

/// after_refresh beats after_backoff beats no.
Retry most_urgent(Retry a, Retry b) {
  if (a == Retry::after_refresh || b == Retry::after_refresh) return Retry::after_refresh;
  if (a == Retry::after_backoff || b == Retry::after_backoff) return Retry::after_backoff;
  return Retry::no;
}

template <class Items, class Code>
Retry over(const Items& items, Code code) {
  Retry verdict = Retry::no;
  for (const auto& item : items) verdict = most_urgent(verdict, retry_for(code(item)));
  return verdict;
}

/// Over each partition of each topic.
template <class Topics>
Retry over_partitions(const Topics& topics) {
  Retry verdict = Retry::no;
  for (const auto& t : topics)
    verdict = most_urgent(verdict, over(t.partitions, [](const auto& p) { return p.error_code; }));
  return verdict;
}

/// Keeps in `next_items` the requested items whose answer asks for a retry.
template <class Answers, class Requested, class AnswerName, class RequestName>
Retry keep_retriable(const Answers& answers, Requested& next_items, AnswerName answer_name, RequestName request_name) {
  Retry verdict = Retry::no;
  std::vector<std::string> again;
  for (const auto& a : answers) {
    const Retry r = retry_for(a.error_code);
    if (r == Retry::no) continue;
    verdict = most_urgent(verdict, r);
    again.push_back(answer_name(a));
  }
  if (verdict != Retry::no)
    std::erase_if(next_items, [&](const auto& item) {
      return std::find(again.begin(), again.end(), request_name(item)) == again.end();
    });
  return verdict;
}

}  // namespace

Retry retry_verdict(const protocol::DescribeGroupsResponse& response) {
  return over(response.groups, [](const auto& g) { return g.error_code; });
}
Retry retry_verdict(const protocol::ConsumerGroupDescribeResponse& response) {
  return over(response.groups, [](const auto& g) { return g.error_code; });
}
Retry retry_verdict(const protocol::DeleteGroupsResponse& response) {
  return over(response.results, [](const auto& r) { return r.error_code; });
}
Retry retry_verdict(const protocol::OffsetFetchResponse& response) {
  return most_urgent(over(response.groups, [](const auto& g) { return g.error_code; }),
                     most_urgent(over_partitions(response.topics), [&] {
                       Retry verdict = Retry::no;
                       for (const auto& g : response.groups) verdict = most_urgent(verdict, over_partitions(g.topics));
                       return verdict;
                     }()));
}
Retry retry_verdict(const protocol::OffsetCommitResponse& response) { return over_partitions(response.topics); }
Retry retry_verdict(const protocol::DescribeTransactionsResponse& response) {
  return over(response.transaction_states, [](const auto& t) { return t.error_code; });
}
Retry retry_verdict(const protocol::ListOffsetsResponse& response) { return over_partitions(response.topics); }
Retry retry_verdict(const protocol::DeleteRecordsResponse& response) { return over_partitions(response.topics); }
Retry retry_verdict(const protocol::DescribeProducersResponse& response) { return over_partitions(response.topics); }
Retry retry_verdict(const protocol::WriteTxnMarkersResponse& response) {
  Retry verdict = Retry::no;
  for (const auto& m : response.markers) verdict = most_urgent(verdict, over_partitions(m.topics));
  return verdict;
}

Retry retry_remaining(const protocol::CreateTopicsResponse& response, protocol::CreateTopicsRequest& next) {
  return keep_retriable(
      response.topics, next.topics, [](const auto& a) { return a.name; }, [](const auto& t) { return t.name; });
}
Retry retry_remaining(const protocol::DeleteTopicsResponse& response, protocol::DeleteTopicsRequest& next) {
  return keep_retriable(
      response.responses, next.topics, [](const auto& a) { return a.name.value_or(std::string()); },
      [](const auto& t) { return t.name.value_or(std::string()); });
}
Retry retry_remaining(const protocol::CreatePartitionsResponse& response, protocol::CreatePartitionsRequest& next) {
  return keep_retriable(
      response.results, next.topics, [](const auto& a) { return a.name; }, [](const auto& t) { return t.name; });
}

}  // namespace kwire::admin::translate
