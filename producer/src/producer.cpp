// kwire::Producer, the public facade: every overload of send, the future
// API, flush/close, statistics and the transaction calls, each forwarding
// to Producer::Impl (producer_impl.hpp).
#include "producer_impl.hpp"

namespace kwire {

// --- Producer ------------------------------------------------------------------------

Producer::Producer(ProducerConfig config, LogHandler log)
    : impl_(std::make_shared<Impl>(std::move(config), nullptr, std::move(log))) {}

Producer::Producer(const std::map<std::string, std::string>& properties, LogHandler log)
    : Producer(ProducerConfig::from_properties(properties), std::move(log)) {}

Producer::Producer(std::initializer_list<std::pair<const std::string, std::string>> properties, LogHandler log)
    : Producer(std::map<std::string, std::string>(properties), std::move(log)) {}

Producer::Producer(std::initializer_list<std::pair<const std::string, std::string>> properties, asio::io_context& io,
                   LogHandler log)
    : Producer(std::map<std::string, std::string>(properties), io, std::move(log)) {}

Producer::Producer(ProducerConfig config, asio::io_context& io, LogHandler log)
    : impl_(std::make_shared<Impl>(std::move(config), &io, std::move(log))) {}

Producer::Producer(const std::map<std::string, std::string>& properties, asio::io_context& io, LogHandler log)
    : Producer(ProducerConfig::from_properties(properties), io, std::move(log)) {}

Producer::~Producer() = default;
Producer::Producer(Producer&&) noexcept = default;
Producer& Producer::operator=(Producer&&) noexcept = default;

std::vector<PartitionMetadata> Producer::partitions_for(std::string_view topic, std::error_code& error,
                                                        std::optional<std::chrono::milliseconds> max_block,
                                                        std::string* detail) {
  return impl_->partitions_for(topic, error, max_block.value_or(std::chrono::milliseconds(impl_->config.max_block_ms)),
                               detail);
}

namespace {
/// send()'s default: max.block.ms, applied by the accumulator itself (no
/// clock read on the common path) unless a metadata wait started the clock.
constexpr Producer::Impl::SendWait default_wait{std::chrono::steady_clock::time_point::max()};
}  // namespace

void Producer::send(const RecordView& record, DeliveryCallback callback) { impl_->send(record, callback, default_wait); }

void Producer::send(const ProducerRecord& record, DeliveryCallback callback) {
  std::vector<HeaderView> headers;
  impl_->send(view_of(record, headers), callback, default_wait);
}

void Producer::send(const RecordView& record, DeliveryCallback callback, std::chrono::milliseconds max_block) {
  impl_->send(record, callback, impl_->wait_for(max_block));
}

void Producer::send(const ProducerRecord& record, DeliveryCallback callback, std::chrono::milliseconds max_block) {
  std::vector<HeaderView> headers;
  impl_->send(view_of(record, headers), callback, impl_->wait_for(max_block));
}

TrySendResult Producer::try_send(const RecordView& record, DeliveryCallback callback, std::function<void()> on_ready) {
  Impl::SendWait wait;
  wait.try_only = true;
  wait.on_ready = &on_ready;
  return impl_->send(record, callback, wait);
}

TrySendResult Producer::try_send(const ProducerRecord& record, DeliveryCallback callback,
                                 std::function<void()> on_ready) {
  std::vector<HeaderView> headers;
  return try_send(view_of(record, headers), std::move(callback), std::move(on_ready));
}

namespace {
DeliveryCallback promise_callback(const std::shared_ptr<std::promise<RecordMetadata>>& promise) {
  return [promise](const DeliveryReport& report) {
    if (report.error && !report.detail.empty())  // what(): "<detail>: <message>"
      promise->set_exception(std::make_exception_ptr(std::system_error(report.error, report.detail)));
    else if (report.error)
      promise->set_exception(std::make_exception_ptr(std::system_error(report.error)));
    else
      promise->set_value(report.metadata);
  };
}
}  // namespace

std::future<RecordMetadata> Producer::send(const RecordView& record) {
  auto promise = std::make_shared<std::promise<RecordMetadata>>();
  std::future<RecordMetadata> future = promise->get_future();
  send(record, promise_callback(promise));
  return future;
}

std::future<RecordMetadata> Producer::send(const ProducerRecord& record) {
  auto promise = std::make_shared<std::promise<RecordMetadata>>();
  std::future<RecordMetadata> future = promise->get_future();
  send(record, promise_callback(promise));
  return future;
}

std::future<RecordMetadata> Producer::send(const RecordView& record, std::chrono::milliseconds max_block) {
  auto promise = std::make_shared<std::promise<RecordMetadata>>();
  std::future<RecordMetadata> future = promise->get_future();
  send(record, promise_callback(promise), max_block);
  return future;
}

std::future<RecordMetadata> Producer::send(const ProducerRecord& record, std::chrono::milliseconds max_block) {
  auto promise = std::make_shared<std::promise<RecordMetadata>>();
  std::future<RecordMetadata> future = promise->get_future();
  send(record, promise_callback(promise), max_block);
  return future;
}

bool Producer::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }

// --- Transactions ---------------------------------------------------------------------

namespace {
TransactionStatus not_transactional(std::string_view call) {
  return {make_error_code(transaction_errc::invalid_state), TransactionErrorKind::usage,
          std::string(call) + "() needs a transactional producer: set transactional.id"};
}
}  // namespace

TransactionStatus Producer::init_transactions(std::chrono::milliseconds timeout) {
  if (!impl_->transactions) return not_transactional("init_transactions");
  return impl_->transactions->init_transactions(timeout);
}

TransactionStatus Producer::begin_transaction() {
  if (!impl_->transactions) return not_transactional("begin_transaction");
  return impl_->transactions->begin_transaction();
}

TransactionStatus Producer::send_offsets_to_transaction(const std::vector<OffsetToCommit>& offsets,
                                                        const ConsumerGroupMetadata& group,
                                                        std::chrono::milliseconds timeout) {
  if (!impl_->transactions) return not_transactional("send_offsets_to_transaction");
  return impl_->transactions->send_offsets_to_transaction(offsets, group, timeout);
}

TransactionStatus Producer::commit_transaction(std::chrono::milliseconds timeout) {
  if (!impl_->transactions) return not_transactional("commit_transaction");
  return impl_->transactions->commit_transaction(timeout);
}

TransactionStatus Producer::abort_transaction(std::chrono::milliseconds timeout) {
  if (!impl_->transactions) return not_transactional("abort_transaction");
  return impl_->transactions->abort_transaction(timeout);
}

Producer::Transaction Producer::transaction() { return Transaction(*this); }

bool Producer::close(std::chrono::milliseconds timeout) { return impl_->close(timeout); }

std::error_code Producer::wait_for_cluster(std::chrono::milliseconds timeout, std::string* detail) {
  return impl_->wait_for_cluster(timeout, detail);
}

ProducerStatistics Producer::statistics() const {
  Impl& impl = *impl_;
  if (impl.on_io_thread() || impl.loop.stopped()) return impl.collect_statistics();
  // Not run_on_io: a statistics thread may call this while another thread
  // closes the producer, and once close() stops the io_context a posted
  // handler never runs. So wait in slices; if the io_context stopped, read
  // here (nothing writes any more) and tell the handler, should it ever
  // run, to leave the producer alone.
  struct Request {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    bool abandoned = false;
    ProducerStatistics result;
  };
  auto request = std::make_shared<Request>();
  impl.loop.post([&impl, request] {
    std::lock_guard lock(request->m);
    if (request->abandoned) return;
    request->result = impl.collect_statistics();
    request->done = true;
    request->cv.notify_all();
  });
  std::unique_lock lock(request->m);
  while (!request->cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return request->done; })) {
    if (impl.loop.stopped()) {
      request->abandoned = true;
      lock.unlock();
      return impl.collect_statistics();
    }
  }
  return std::move(request->result);
}

std::string Producer::statistics_json() const { return to_json(statistics()); }

const ProducerConfig& Producer::config() const noexcept { return impl_->config; }

}  // namespace kwire

