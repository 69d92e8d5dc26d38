// Heap allocations per record in steady state, for Producer::send (issue 8:
// "zero heap allocations per record in steady state").
//
// This binary replaces the global operator new/delete with counting
// versions: one process-wide counter (every thread: the application thread
// and the producer's network thread), one per thread (the sending thread).
// The producer sends to the blackhole mock cluster, run as a separate
// process (kwire-mock-cluster --blackhole) so that its allocations are not
// counted; KWIRE_BENCH_BOOTSTRAP names another cluster instead.
//
// Method: a warm-up of 300k records (buffers grow to their working size,
// the batch pool fills, connections and metadata exist), flush, then the
// counted window: `iterations` sends and a final flush. The counters are
//   allocs_per_record_send_thread  allocations on the sending thread / records
//   allocs_per_record_process      allocations in the whole process / records
// (the second includes the network thread: requests, responses, timers).
#include <benchmark/benchmark.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <optional>
#include <string>

#include <kwire/producer/producer.hpp>

#include "payloads.hpp"

// --- Counting allocator ---------------------------------------------------------------

// Every replaced operator delete frees with std::free what the replaced
// operator new got from std::malloc / std::aligned_alloc; GCC cannot see
// that pairing across the replacement.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
thread_local std::uint64_t t_allocs = 0;

void* counted_alloc(std::size_t size, std::size_t align = 0) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  ++t_allocs;
  if (size == 0) size = 1;
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (size + align - 1) / align * align)
                                               : std::malloc(size);
  return p;
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = counted_alloc(size, static_cast<std::size_t>(align))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = counted_alloc(size, static_cast<std::size_t>(align))) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_alloc(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_alloc(size, static_cast<std::size_t>(align));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

// --- The blackhole mock as a child process ---------------------------------------------

class MockProcess {
 public:
  MockProcess() {
#ifdef KWIRE_MOCK_CLUSTER_EXE
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(KWIRE_MOCK_CLUSTER_EXE, KWIRE_MOCK_CLUSTER_EXE, "--blackhole", "--partitions", "3",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    if (line.rfind("bootstrap=", 0) == 0) bootstrap_ = line.substr(10);
#endif
  }
  ~MockProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  pid_t pid_ = -1;
  std::string bootstrap_;
};

std::string bootstrap_for_bench(std::optional<MockProcess>& mock) {
  if (const char* env = std::getenv("KWIRE_BENCH_BOOTSTRAP")) return env;
  mock.emplace();
  return mock->bootstrap();
}

struct Counter {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
};

void BM_ProducerSendAllocations(benchmark::State& state) {
  std::optional<MockProcess> mock;
  const std::string bootstrap = bootstrap_for_bench(mock);
  if (bootstrap.empty()) return state.SkipWithError("no cluster: build kwire-mock-cluster or set KWIRE_BENCH_BOOTSTRAP");
  const auto record_size = static_cast<std::size_t>(state.range(0));
  std::map<std::string, std::string> props{{"bootstrap.servers", bootstrap},
                                           {"acks", "all"},
                                           {"enable.idempotence", "true"},
                                           {"linger.ms", "5"},
                                           {"batch.size", "65536"},
                                           {"max.in.flight.requests.per.connection", "5"}};
  if (state.range(1) == 1) props["compression.type"] = "lz4";
  kwire::Producer producer(props);
  if (producer.wait_for_cluster(std::chrono::seconds(10))) return state.SkipWithError("cluster unreachable");

  std::mt19937_64 rng(11);
  std::vector<std::string> values;
  for (int i = 0; i < 256; ++i) values.push_back(kwire::bench::json_event(rng, record_size));
  Counter counter;
  // Captures one pointer: fits std::function's small buffer.
  auto callback = [c = &counter](const kwire::producer::DeliveryReport& r) {
    (r.ok() ? c->delivered : c->failed).fetch_add(1, std::memory_order_relaxed);
  };
  kwire::producer::RecordView record("bench-alloc", std::nullopt, std::nullopt);
  std::size_t i = 0;
  auto send_one = [&] {
    record.value = kwire::producer::bytes_of(values[i++ & 255]);
    producer.send(record, callback);
  };

  for (int w = 0; w < 300'000; ++w) send_one();
  producer.flush(std::chrono::seconds(30));

  const std::uint64_t process_before = g_allocs.load();
  const std::uint64_t thread_before = t_allocs;
  std::uint64_t records = 0;
  for (auto _ : state) {
    send_one();
    ++records;
  }
  producer.flush(std::chrono::seconds(30));
  const std::uint64_t thread_allocs = t_allocs - thread_before;
  const std::uint64_t process_allocs = g_allocs.load() - process_before;
  producer.close(std::chrono::seconds(10));

  if (counter.failed.load() > 0) state.SkipWithError("records failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  const double n = static_cast<double>(records ? records : 1);
  state.counters["allocs_per_record_send_thread"] = static_cast<double>(thread_allocs) / n;
  state.counters["allocs_per_record_process"] = static_cast<double>(process_allocs) / n;
  state.counters["allocs_total_process"] = static_cast<double>(process_allocs);
}
// Fixed iteration count: a steady state long enough to cycle the batch pool
// many times (1M records = ~1600 batches of 64 KiB).
BENCHMARK(BM_ProducerSendAllocations)
    ->Name("producer/send_allocations")
    ->Args({100, 0})
    ->Args({1024, 0})
    ->Args({100, 1})
    ->ArgNames({"size", "lz4"})
    ->Iterations(1'000'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
