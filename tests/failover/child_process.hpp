#pragma once
// A child process running a shell command line (a `kwire copy` or
// `kwire consume -G` under test), so a test can SIGKILL it mid-stream the way
// a crash would, or SIGTERM it for a clean shutdown. Its stderr is the
// test's; the command line may redirect its stdout.
#include <doctest/doctest.h>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <thread>

namespace kwire::test {

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ChildProcess(const std::string& command) {
    const std::string line = "exec " + command;  // built before fork(): the child only execs
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exited()) kill9();
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// True once the child ended (its status kept).
  bool exited() {
    if (status_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
    return status_.has_value();
  }
  void kill9() {
    ::kill(pid_, SIGKILL);
    wait_for(std::chrono::seconds(30));
  }
  /// SIGTERM: the clean shutdown a service manager asks for.
  void terminate() { ::kill(pid_, SIGTERM); }
  /// The exit status (-1: still running after `limit`; 128+N: signal N).
  int wait_for(std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!exited() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!status_) return -1;
    return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : 128 + WTERMSIG(*status_);
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace kwire::test
