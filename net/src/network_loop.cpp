#include "kwire/net/network_loop.hpp"

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(executor_work_guard.hpp)
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include KWIRE_ASIO_INCLUDE(post.hpp)
#include KWIRE_ASIO_INCLUDE(steady_timer.hpp)

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kwire::net {

struct NetworkLoop::Impl {
  Impl(asio::io_context* user_io, ErrorReporter reporter)
      : on_error(std::move(reporter)),
        owned_io(user_io ? nullptr : std::make_unique<asio::io_context>(1)),
        io(user_io ? user_io : owned_io.get()),
        timer(*io) {}

  void run_round();
  void arm_timer(std::int64_t deadline_ms);
  void arm_periodic(std::size_t index);

  struct Periodic {
    std::chrono::milliseconds interval;
    std::function<void()> fn;
    std::unique_ptr<asio::steady_timer> timer;
  };

  ErrorReporter on_error;
  std::unique_ptr<asio::io_context> owned_io;  // declared first: destroyed last
  asio::io_context* io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  /// False once shutdown() ran; read and written on the io thread only.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  Round round;
  asio::steady_timer timer;
  std::int64_t timer_deadline = kNoDeadline;
  std::uint64_t timer_generation = 0;
  std::vector<Periodic> periodic;
  std::atomic<bool> wake_pending{false};
  std::thread thread;  // declared last: joined before anything above goes
};

void NetworkLoop::Impl::run_round() {
  if (!round) return;
  arm_timer(round(now_ms()));
}

void NetworkLoop::Impl::arm_timer(std::int64_t deadline_ms) {
  if (deadline_ms == timer_deadline) return;
  timer_deadline = deadline_ms;
  const std::uint64_t generation = ++timer_generation;
  if (deadline_ms == kNoDeadline) {
    timer.cancel();
    return;
  }
  timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(deadline_ms)));
  timer.async_wait([this, alive = alive, generation](std::error_code) {
    if (!*alive || generation != timer_generation) return;
    timer_deadline = kNoDeadline;
    run_round();
  });
}

void NetworkLoop::Impl::arm_periodic(std::size_t index) {
  Periodic& p = periodic[index];
  p.timer->expires_after(p.interval);
  p.timer->async_wait([this, alive = alive, index](std::error_code ec) {
    if (ec || !*alive) return;
    periodic[index].fn();
    arm_periodic(index);
  });
}

NetworkLoop::NetworkLoop(asio::io_context* user_io, ErrorReporter on_error)
    : impl_(std::make_unique<Impl>(user_io, std::move(on_error))) {}

NetworkLoop::~NetworkLoop() {
  stop();
  std::thread& thread = impl_->thread;
  // Destroying a client from its own callback is not supported
  // (documented); at least do not std::terminate on a self-join.
  if (thread.joinable()) thread.detach();
}

asio::io_context& NetworkLoop::io() noexcept { return *impl_->io; }
bool NetworkLoop::owns_io() const noexcept { return impl_->owned_io != nullptr; }
const std::shared_ptr<bool>& NetworkLoop::alive_flag() const noexcept { return impl_->alive; }

void NetworkLoop::set_round(Round round) { impl_->round = std::move(round); }

void NetworkLoop::start() {
  Impl& d = *impl_;
  if (!d.owned_io || d.thread.joinable()) return;
  d.work.emplace(asio::make_work_guard(*d.io));
  d.thread = std::thread([&d] {
    while (true) {
      try {
        d.io->run();
        return;
      } catch (const std::exception& e) {
        // The cores' handlers do not throw and user callbacks are caught
        // where they run; report and keep the network thread alive regardless.
        if (d.on_error) d.on_error(std::string("network thread: unexpected exception: ") + e.what());
      } catch (...) {
        if (d.on_error) d.on_error("network thread: unexpected exception");
      }
    }
  });
}

void NetworkLoop::wake() {
  Impl& d = *impl_;
  if (d.wake_pending.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(*d.io, [&d, alive = d.alive] {
    if (!*alive) return;
    d.wake_pending.store(false, std::memory_order_release);
    d.run_round();
  });
}

void NetworkLoop::arm_periodic(std::chrono::milliseconds interval, std::function<void()> fn) {
  Impl& d = *impl_;
  asio::post(*d.io, [&d, alive = d.alive, interval, fn = std::move(fn)]() mutable {
    if (!*alive) return;
    d.periodic.push_back(Impl::Periodic{interval, std::move(fn), std::make_unique<asio::steady_timer>(*d.io)});
    d.arm_periodic(d.periodic.size() - 1);
  });
}

void NetworkLoop::post(std::function<void()> fn) { asio::post(*impl_->io, std::move(fn)); }

bool NetworkLoop::on_io_thread() const { return impl_->io->get_executor().running_in_this_thread(); }

bool NetworkLoop::stopped() const { return impl_->io->stopped(); }

void NetworkLoop::run_on_io(const std::function<void()>& fn) {
  if (on_io_thread() || stopped()) {
    fn();
    return;
  }
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  asio::post(*impl_->io, [&] {
    fn();
    std::lock_guard lock(m);
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
}

bool NetworkLoop::run_on_io_within(std::chrono::milliseconds timeout, const std::function<void()>& fn) {
  if (on_io_thread() || stopped()) {
    fn();
    return true;
  }
  // Whoever claims the work runs it: the io thread when it gets to it in
  // time, else (after `timeout`) nobody, and the caller says so.
  struct State {
    std::mutex m;
    std::condition_variable cv;
    bool claimed = false;
    bool done = false;
  };
  auto claim = std::make_shared<State>();
  asio::post(*impl_->io, [claim, &fn] {
    {
      std::lock_guard lock(claim->m);
      if (claim->claimed) return;
      claim->claimed = true;
    }
    fn();
    std::lock_guard lock(claim->m);
    claim->done = true;
    claim->cv.notify_all();
  });
  std::unique_lock lock(claim->m);
  if (claim->cv.wait_for(lock, timeout, [&] { return claim->done || stopped(); }) && claim->done) return true;
  if (claim->claimed) {  // running right now on the io thread: let it finish
    claim->cv.wait(lock, [&] { return claim->done; });
    return true;
  }
  claim->claimed = true;  // the handler, should it ever run, does nothing
  return false;
}

void NetworkLoop::shutdown() {
  Impl& d = *impl_;
  if (!*d.alive) return;
  d.timer.cancel();
  for (Impl::Periodic& p : d.periodic) p.timer->cancel();
  *d.alive = false;
}

void NetworkLoop::stop() {
  Impl& d = *impl_;
  if (!d.owned_io) return;
  d.work.reset();
  d.io->stop();
  if (d.thread.joinable() && d.thread.get_id() != std::this_thread::get_id()) d.thread.join();
}

std::int64_t NetworkLoop::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace kwire::net
