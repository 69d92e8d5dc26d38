// The mock cluster's network side: one acceptor per broker and one
// Connection per client socket, all on one io_context. Decisions are made by
// ClusterState; this file only frames, delays and moves bytes.
#include <array>
#include <atomic>
#include <optional>
#include <deque>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "cluster_state.hpp"
#include "kwire/mock/cluster.hpp"
#include "kwire/net/frame_decoder.hpp"

namespace kwire::mock {

using asio::ip::tcp;

namespace detail {
class Connection;
}  // namespace detail
using detail::Connection;

struct BrokerNet {
  std::int32_t id = 0;
  std::uint16_t port = 0;
  std::shared_ptr<tcp::acceptor> acceptor;  ///< null while stopped
  std::set<std::shared_ptr<Connection>> connections;
  std::atomic<bool> running{false};  ///< read by test threads
};

class MockCluster::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context* external, ClusterConfig config);
  ~Impl();

  void start();
  void shutdown();
  void stop_broker(std::int32_t id);
  void start_broker(std::int32_t id);
  bool broker_running(std::int32_t id) const { return find(id).running.load(); }

  /// Runs `f` on the network thread and waits for it (directly when already
  /// there, or before the owned thread has started).
  template <class F>
  void run_on_io(F&& f);

  // Network thread only.
  void forget(std::int32_t broker_id, const std::shared_ptr<Connection>& c) { find(broker_id).connections.erase(c); }
  detail::ClusterState& state() { return state_; }
  asio::io_context& io() { return *io_; }

 private:
  BrokerNet& find(std::int32_t id);
  const BrokerNet& find(std::int32_t id) const;
  void listen(BrokerNet& broker);
  void accept(BrokerNet& broker, const std::shared_ptr<tcp::acceptor>& acceptor);

  std::unique_ptr<asio::io_context> owned_io_;
  asio::io_context* io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  detail::ClusterState state_;
  std::deque<BrokerNet> brokers_;  ///< deque: stable addresses for handlers
  bool shut_down_ = false;
};

namespace detail {

/// One client connection. Requests are handled one at a time, in order;
/// each is answered (or dropped) before the next is looked at, as Kafka
/// mutes a channel while one of its requests is in flight.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<MockCluster::Impl> owner, std::int32_t broker_id, tcp::socket socket)
      : owner_(std::move(owner)),
        broker_id_(broker_id),
        socket_(std::move(socket)),
        timer_(owner_->io()),
        decoder_(owner_->state().max_frame_bytes()) {}

  void start() { read(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    std::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    owner_->forget(broker_id_, shared_from_this());
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (self->closed_) return;
      if (ec) return self->close();
      std::span<const std::uint8_t> in(self->buffer_.data(), n);
      while (!in.empty()) {
        const std::size_t used = self->decoder_.put(in);
        in = in.subspan(used);
        // Oversized or negative frame sizes: a malformed request closes.
        if (self->decoder_.error()) return self->close();
        if (self->decoder_.has_frame())
          self->queue_.push_back(self->decoder_.take_frame());
        else if (used == 0)
          break;
      }
      self->pump();
      if (!self->closed_) self->read();
    });
  }

  /// Handles queued requests until one needs to wait (delay or write).
  void pump() {
    while (!busy_ && !closed_ && !queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      const detail::Admission admission = owner_->state().admit(broker_id_, current_);
      if (admission.close) return close();
      if (admission.delay.count() > 0) {
        busy_ = true;
        timer_.expires_after(admission.delay);
        timer_.async_wait([self = shared_from_this()](std::error_code ec) {
          if (ec || self->closed_) return;  // closed meanwhile: the request is dropped unhandled
          self->busy_ = false;
          self->handle_current();
          self->pump();
        });
        return;
      }
      handle_current();
    }
  }

  /// Handles current_; leaves busy_ set while a response is on its way.
  void handle_current() {
    detail::Outcome outcome = owner_->state().handle(broker_id_, current_);
    switch (outcome.action) {
      case detail::Outcome::Action::close: return close();
      case detail::Outcome::Action::none: return;
      case detail::Outcome::Action::respond: break;
    }
    busy_ = true;
    out_ = std::move(outcome.frame);
    if (outcome.delay.count() > 0) {
      timer_.expires_after(outcome.delay);
      timer_.async_wait([self = shared_from_this()](std::error_code ec) {
        if (ec || self->closed_) return;
        self->write();
      });
      return;
    }
    write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec) return self->close();
      self->busy_ = false;
      self->pump();
    });
  }

  std::shared_ptr<MockCluster::Impl> owner_;
  std::int32_t broker_id_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  net::FrameDecoder decoder_;
  std::array<std::uint8_t, 64 * 1024> buffer_{};
  std::deque<std::vector<std::uint8_t>> queue_;
  std::vector<std::uint8_t> current_;
  std::vector<std::uint8_t> out_;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace detail

// ---------------------------------------------------------------- Impl

MockCluster::Impl::Impl(asio::io_context* external, ClusterConfig config)
    : owned_io_(external == nullptr ? std::make_unique<asio::io_context>(1) : nullptr),
      io_(external == nullptr ? owned_io_.get() : external),
      state_(config) {
  std::vector<detail::BrokerInfo> infos;
  for (int i = 0; i < config.brokers; ++i) {
    BrokerNet& b = brokers_.emplace_back();
    b.id = config.first_broker_id + i;
    b.port = config.base_port == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(config.base_port + i);
    listen(b);  // binds now, so ports are known before the constructor returns
    infos.push_back({b.id, b.port});
  }
  state_.set_brokers(std::move(infos));
}

MockCluster::Impl::~Impl() = default;

BrokerNet& MockCluster::Impl::find(std::int32_t id) {
  for (BrokerNet& b : brokers_)
    if (b.id == id) return b;
  throw std::out_of_range("no broker " + std::to_string(id));
}

const BrokerNet& MockCluster::Impl::find(std::int32_t id) const {
  for (const BrokerNet& b : brokers_)
    if (b.id == id) return b;
  throw std::out_of_range("no broker " + std::to_string(id));
}

void MockCluster::Impl::listen(BrokerNet& broker) {
  auto acceptor = std::make_shared<tcp::acceptor>(*io_);
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), broker.port);
  acceptor->open(endpoint.protocol());
  // Lets start_broker() rebind the same port while old connections sit in
  // TIME_WAIT.
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen();
  broker.port = acceptor->local_endpoint().port();
  broker.acceptor = std::move(acceptor);
  broker.running = true;
}

void MockCluster::Impl::accept(BrokerNet& broker, const std::shared_ptr<tcp::acceptor>& acceptor) {
  acceptor->async_accept([self = shared_from_this(), &broker, acceptor](std::error_code ec, tcp::socket socket) {
    if (self->shut_down_ || broker.acceptor != acceptor) return;  // stopped meanwhile
    if (!ec) {
      std::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      self->state_.note_connection(broker.id);
      auto connection = std::make_shared<Connection>(self, broker.id, std::move(socket));
      broker.connections.insert(connection);
      connection->start();
    }
    self->accept(broker, acceptor);
  });
}

void MockCluster::Impl::start() {
  auto arm = [self = shared_from_this()] {
    for (BrokerNet& b : self->brokers_) self->accept(b, b.acceptor);
  };
  if (owned_io_) {
    arm();  // nothing runs the io_context yet
    work_.emplace(owned_io_->get_executor());
    thread_ = std::thread([io = owned_io_.get()] { io->run(); });
  } else {
    asio::post(*io_, arm);
  }
}

template <class F>
void MockCluster::Impl::run_on_io(F&& f) {
  // Directly when on the network thread already, before the owned thread
  // starts, or when a caller's io_context is stopped (nobody runs it, so
  // nothing else touches our objects; waiting would deadlock).
  if (io_->get_executor().running_in_this_thread() || (owned_io_ && !thread_.joinable()) ||
      (!owned_io_ && io_->stopped())) {
    f();
    return;
  }
  std::promise<void> done;
  std::future<void> result = done.get_future();
  asio::post(*io_, [&f, &done] {
    try {
      f();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  result.get();
}

void MockCluster::Impl::stop_broker(std::int32_t id) {
  run_on_io([this, id] {
    BrokerNet& b = find(id);
    b.running = false;
    if (b.acceptor) {
      std::error_code ignored;
      b.acceptor->close(ignored);
      b.acceptor.reset();
    }
    auto connections = b.connections;  // close() erases from the set
    for (const auto& c : connections) c->close();
    b.connections.clear();
  });
}

void MockCluster::Impl::start_broker(std::int32_t id) {
  run_on_io([this, id] {
    BrokerNet& b = find(id);
    if (b.acceptor || shut_down_) return;
    listen(b);
    accept(b, b.acceptor);
  });
}

void MockCluster::Impl::shutdown() {
  run_on_io([this] {
    shut_down_ = true;
    for (BrokerNet& b : brokers_) {
      b.running = false;
      if (b.acceptor) {
        std::error_code ignored;
        b.acceptor->close(ignored);
        b.acceptor.reset();
      }
      auto connections = b.connections;
      for (const auto& c : connections) c->close();
      b.connections.clear();
    }
  });
  if (owned_io_) {
    // Everything is closed: the aborted handlers complete and run() returns.
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }
}

// ----------------------------------------------------------- MockCluster

MockCluster::MockCluster(ClusterConfig config) : impl_(std::make_shared<Impl>(nullptr, std::move(config))) {
  impl_->start();
}

MockCluster::MockCluster(asio::io_context& io, ClusterConfig config)
    : impl_(std::make_shared<Impl>(&io, std::move(config))) {
  impl_->start();
}

MockCluster::~MockCluster() { impl_->shutdown(); }

std::string MockCluster::bootstrap_servers() const { return impl_->state().bootstrap_servers(); }
std::vector<std::int32_t> MockCluster::broker_ids() const { return impl_->state().broker_ids(); }
std::uint16_t MockCluster::port(std::int32_t broker_id) const { return impl_->state().port(broker_id); }

void MockCluster::create_topic(const std::string& topic, std::int32_t partitions) {
  impl_->state().create_topic(topic, partitions);
}
std::map<std::string, std::int32_t> MockCluster::topics() const { return impl_->state().topics(); }
std::int32_t MockCluster::leader(const std::string& topic, std::int32_t partition) const {
  return impl_->state().leader(topic, partition);
}
std::vector<StoredRecord> MockCluster::records(const std::string& topic, std::int32_t partition) const {
  return impl_->state().records(topic, partition);
}
std::size_t MockCluster::record_count(const std::string& topic, std::int32_t partition) const {
  return impl_->state().record_count(topic, partition);
}
std::size_t MockCluster::record_count() const { return impl_->state().record_count(); }
std::size_t MockCluster::batch_count(const std::string& topic, std::int32_t partition) const {
  return impl_->state().batch_count(topic, partition);
}
std::int64_t MockCluster::log_end_offset(const std::string& topic, std::int32_t partition) const {
  return impl_->state().log_end_offset(topic, partition);
}
bool MockCluster::wait_for_records(const std::string& topic, std::int32_t partition, std::size_t count,
                                   std::chrono::milliseconds timeout) const {
  return impl_->state().wait_for_records(topic, partition, count, timeout);
}

void MockCluster::fail_next(ApiKey api, kwire::errc error, int count, std::optional<std::string> topic,
                            std::optional<std::int32_t> partition, std::size_t min_records) {
  impl_->state().fail_next({api, error, count, std::move(topic), partition, min_records});
}
void MockCluster::drop_connection_before(ApiKey api, int count) { impl_->state().drop_connection_before(api, count); }
void MockCluster::drop_connection_after(ApiKey api, int count) { impl_->state().drop_connection_after(api, count); }
void MockCluster::delay(ApiKey api, std::chrono::milliseconds by, int count, DelayMode mode) {
  impl_->state().delay(api, by, count, mode);
}
void MockCluster::clear_faults() { impl_->state().clear_faults(); }
void MockCluster::move_leader(const std::string& topic, std::int32_t partition, std::int32_t new_broker) {
  impl_->state().move_leader(topic, partition, new_broker);
}
void MockCluster::move_coordinator(std::int8_t key_type, const std::string& key, std::int32_t new_broker) {
  impl_->state().move_coordinator(key_type, key, new_broker);
}
std::int32_t MockCluster::coordinator(std::int8_t key_type, const std::string& key) const {
  return impl_->state().coordinator(key_type, key);
}
std::map<std::pair<std::string, std::int32_t>, std::int64_t> MockCluster::txn_offset_commits(
    const std::string& group) const {
  return impl_->state().txn_offset_commits(group);
}
std::int64_t MockCluster::append_raw_batch(const std::string& topic, std::int32_t partition,
                                          std::vector<std::uint8_t> batch) {
  return impl_->state().append_raw_batch(topic, partition, std::move(batch));
}
void MockCluster::set_log_start_offset(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  impl_->state().set_log_start_offset(topic, partition, offset);
}
std::map<std::pair<std::string, std::int32_t>, std::int64_t> MockCluster::committed_offsets(
    const std::string& group) const {
  return impl_->state().committed_offsets(group);
}
std::int32_t MockCluster::group_generation(const std::string& group) const {
  return impl_->state().group_generation(group);
}
void MockCluster::stop_broker(std::int32_t broker_id) { impl_->stop_broker(broker_id); }
void MockCluster::start_broker(std::int32_t broker_id) { impl_->start_broker(broker_id); }
bool MockCluster::broker_running(std::int32_t broker_id) const { return impl_->broker_running(broker_id); }
void MockCluster::forget_producer(std::int64_t producer_id) { impl_->state().forget_producer(producer_id); }
void MockCluster::set_blackhole(bool on) { impl_->state().set_blackhole(on); }
void MockCluster::set_api_versions(std::vector<ApiRange> ranges) { impl_->state().set_api_versions(std::move(ranges)); }

std::size_t MockCluster::request_count(ApiKey api) const { return impl_->state().request_count(api); }
std::size_t MockCluster::request_count(ApiKey api, std::int32_t broker_id) const {
  return impl_->state().request_count(api, broker_id);
}
bool MockCluster::wait_for_requests(ApiKey api, std::size_t count, std::chrono::milliseconds timeout) const {
  return impl_->state().wait_for_requests(api, count, timeout);
}
std::vector<RequestLogEntry> MockCluster::request_log() const { return impl_->state().request_log(); }
std::size_t MockCluster::accepted_connections(std::int32_t broker_id) const {
  return impl_->state().accepted_connections(broker_id);
}

}  // namespace kwire::mock
