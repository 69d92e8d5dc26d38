#pragma once
// A scripted Transport for driving the Sender without sockets: it records
// connection attempts and requests; the test decides when each connection
// opens or fails and answers each request with a real encoded response (so
// the sender's encoding and decoding are exercised too).
#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/net/transport.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/produce.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::test {

using Bytes = std::vector<std::uint8_t>;

class FakeTransport final : public net::Transport {
 public:
  struct Connect {
    std::int32_t node = 0;
    net::BrokerEndpoint endpoint;
    std::chrono::milliseconds timeout{0};
    ReadyHandler on_ready;
    CloseHandler on_close;
  };
  struct Request {
    std::int32_t node = 0;
    protocol::ApiKey api{};
    std::int16_t version = 0;
    Bytes body;
    bool expect_response = true;
    ResponseHandler handler;
    bool answered = false;

    template <class M>
    M decode() const {
      M m;
      REQUIRE_FALSE(protocol::decode_message(body, version, m));
      return m;
    }
  };

  // --- Transport ---------------------------------------------------------------
  void connect(std::int32_t node, const net::BrokerEndpoint& endpoint, std::chrono::milliseconds timeout,
               ReadyHandler on_ready, CloseHandler on_close) override {
    connects.push_back(Connect{node, endpoint, timeout, std::move(on_ready), std::move(on_close)});
  }
  std::optional<std::int16_t> negotiated_version(std::int32_t node, protocol::ApiKey api) const override {
    if (!open.count(node)) return std::nullopt;
    if (api == protocol::ApiKey::produce) return produce_version;
    if (api == protocol::ApiKey::metadata) return metadata_version;
    if (auto it = other_versions.find(api); it != other_versions.end()) return it->second;
    return std::nullopt;
  }
  void send(std::int32_t node, protocol::ApiKey api, std::int16_t version, Bytes body, bool expect_response,
            ResponseHandler handler) override {
    if (!open.count(node)) {
      // Never call back inline: queue it like a posted error.
      posted.push_back([h = std::move(handler)] { h(make_error_code(client_errc::disconnected), {}); });
      return;
    }
    requests.push_back(Request{node, api, version, std::move(body), expect_response, std::move(handler), false});
  }
  void disconnect(std::int32_t node) override {
    ++disconnects[node];
    close_node(node, make_error_code(client_errc::shutting_down));
    // A connection still being set up fails too.
    for (auto it = connects.begin(); it != connects.end();) {
      if (it->node == node) {
        auto ready = std::move(it->on_ready);
        it = connects.erase(it);
        ready(make_error_code(client_errc::shutting_down));
      } else {
        ++it;
      }
    }
  }

  const protocol::ApiVersionsResponse* api_versions(std::int32_t node) const override {
    auto it = versions.find(node);
    return open.count(node) && it != versions.end() ? &it->second : nullptr;
  }
  std::string connection_error_detail(std::int32_t node) const override {
    auto it = details.find(node);
    return it == details.end() ? std::string() : it->second;
  }

  // --- Script ----------------------------------------------------------------
  /// The pending connection attempt to `node`, if any.
  Connect* pending_connect(std::int32_t node) {
    for (auto& c : connects)
      if (c.node == node) return &c;
    return nullptr;
  }
  /// Completes the pending connection attempt to `node`.
  void accept(std::int32_t node) {
    Connect* c = pending_connect(node);
    REQUIRE_MESSAGE(c, "no connection attempt to node ", node);
    Connect taken = std::move(*c);
    erase_connect(node);
    open[node] = std::move(taken.on_close);
    taken.on_ready({});
  }
  void refuse(std::int32_t node, std::error_code ec = make_error_code(client_errc::connect_failed)) {
    Connect* c = pending_connect(node);
    REQUIRE_MESSAGE(c, "no connection attempt to node ", node);
    Connect taken = std::move(*c);
    erase_connect(node);
    taken.on_ready(ec);
  }
  /// The broker side drops the connection: pending requests fail with `ec`.
  void drop(std::int32_t node, std::error_code ec = make_error_code(client_errc::disconnected)) { close_node(node, ec); }

  /// Unanswered requests of `api` (to `node`, if given), oldest first.
  std::vector<Request*> pending(protocol::ApiKey api, std::optional<std::int32_t> node = std::nullopt) {
    std::vector<Request*> out;
    for (auto& r : requests)
      if (!r.answered && r.api == api && (!node || r.node == *node)) out.push_back(&r);
    return out;
  }
  Request& only_pending(protocol::ApiKey api, std::optional<std::int32_t> node = std::nullopt) {
    auto p = pending(api, node);
    REQUIRE(p.size() == 1);
    return *p.front();
  }

  template <class M>
  void reply(Request& r, const M& response) {
    REQUIRE_FALSE(r.answered);
    Bytes bytes;
    REQUIRE_FALSE(protocol::encode_message(response, r.version, bytes));
    r.answered = true;
    auto h = std::move(r.handler);
    h({}, bytes);
  }
  /// acks=0: the request was written.
  void written(Request& r) {
    REQUIRE_FALSE(r.answered);
    r.answered = true;
    auto h = std::move(r.handler);
    h({}, {});
  }
  void fail(Request& r, std::error_code ec) {
    REQUIRE_FALSE(r.answered);
    r.answered = true;
    auto h = std::move(r.handler);
    h(ec, {});
  }
  void run_posted() {
    auto p = std::move(posted);
    posted.clear();
    for (auto& f : p) f();
  }

  std::int16_t produce_version = 13;
  std::int16_t metadata_version = 12;
  /// What every open connection negotiated for the other APIs (none by default).
  std::map<protocol::ApiKey, std::int16_t> other_versions;
  std::vector<Connect> connects;
  std::map<std::int32_t, CloseHandler> open;
  std::deque<Request> requests;
  std::vector<std::function<void()>> posted;
  std::map<std::int32_t, int> disconnects;
  /// What connection_error_detail() says per node (as a Connection's
  /// error_detail() would after a TLS/SASL failure).
  /// ApiVersions each node's connection reports (api_versions()).
  std::map<std::int32_t, protocol::ApiVersionsResponse> versions;
  std::map<std::int32_t, std::string> details;

 private:
  void erase_connect(std::int32_t node) {
    for (auto it = connects.begin(); it != connects.end(); ++it)
      if (it->node == node) {
        connects.erase(it);
        return;
      }
  }
  void close_node(std::int32_t node, std::error_code ec) {
    auto it = open.find(node);
    if (it == open.end()) return;
    CloseHandler on_close = std::move(it->second);
    open.erase(it);
    for (auto& r : requests)
      if (r.node == node && !r.answered) {
        r.answered = true;
        auto h = std::move(r.handler);
        h(ec, {});
      }
    if (on_close) on_close(ec);
  }
};

// --- Response builders -----------------------------------------------------------

struct PartitionSpec {
  std::int32_t leader = 1;
  std::int32_t epoch = 0;
};

inline protocol::Uuid uuid_for(std::uint8_t seed) {
  protocol::Uuid id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + i + 1);
  return id;
}

/// Brokers 1..`brokers` at host "b<id>", port 9000+id; one topic.
inline protocol::MetadataResponse metadata_response(int brokers, const std::string& topic,
                                                    std::vector<PartitionSpec> partitions,
                                                    protocol::Uuid topic_id = uuid_for(7)) {
  protocol::MetadataResponse r;
  for (int b = 1; b <= brokers; ++b) {
    protocol::MetadataResponse::Broker broker;
    broker.node_id = b;
    broker.host = "b" + std::to_string(b);
    broker.port = 9000 + b;
    r.brokers.push_back(broker);
  }
  if (!topic.empty()) {
    protocol::MetadataResponse::Topic t;
    t.name = topic;
    t.topic_id = topic_id;
    for (std::size_t p = 0; p < partitions.size(); ++p) {
      protocol::MetadataResponse::Partition part;
      part.partition_index = static_cast<std::int32_t>(p);
      part.leader_id = partitions[p].leader;
      part.leader_epoch = partitions[p].epoch;
      t.partitions.push_back(part);
    }
    r.topics.push_back(t);
  }
  return r;
}

/// One partition result per batch in `request`, all with `error`, offsets
/// from `base_offset` (each partition its own).
inline protocol::ProduceResponse produce_response(const protocol::ProduceRequest& request, std::int16_t version,
                                                  kwire::errc error = kwire::errc::none,
                                                  std::int64_t base_offset = 0) {
  protocol::ProduceResponse r;
  for (const auto& t : request.topic_data) {
    protocol::ProduceResponse::TopicResponse tr;
    if (version >= 13)
      tr.topic_id = t.topic_id;
    else
      tr.name = t.name;
    for (const auto& p : t.partition_data) {
      protocol::ProduceResponse::PartitionResponse pr;
      pr.index = p.index;
      pr.error_code = error;
      pr.base_offset = error == kwire::errc::none ? base_offset : -1;
      tr.partition_responses.push_back(pr);
    }
    r.responses.push_back(tr);
  }
  return r;
}

/// The records of every batch in a Produce request, decoded.
inline std::vector<protocol::RecordBatch> batches_of(const protocol::ProduceRequest& request,
                                                     const protocol::RecordsDecompressor& decompress = {}) {
  std::vector<protocol::RecordBatch> out;
  for (const auto& t : request.topic_data)
    for (const auto& p : t.partition_data) {
      REQUIRE(p.records.has_value());
      REQUIRE_FALSE(protocol::decode_record_batches(*p.records, out, nullptr, decompress));
    }
  return out;
}

}  // namespace kwire::test
