#include "kwire/security/sasl_gssapi.hpp"

#include <fcntl.h>
#include <sasl/sasl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

extern char** environ;

namespace kwire::security {
namespace {

// ---- kinit ---------------------------------------------------------------

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
    text.replace(pos, from.size(), to);
  return text;
}

/// Runs argv[0] (searched in PATH) with `argv`; returns "" on exit status 0,
/// else the first line it wrote to stderr (or why it could not run).
std::string run(const std::vector<std::string>& args) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return "cannot create a pipe: " + std::string(std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(err_pipe[0]);
    return "cannot run " + args[0] + ": " + std::strerror(rc);
  }
  std::string output;
  char buf[512];
  ssize_t n;
  while ((n = ::read(err_pipe[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && output.size() < 4096) output.append(buf, static_cast<std::size_t>(n));
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string line = output.substr(0, output.find('\n'));
  if (line.empty())
    line = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "killed by a signal";
  return line;
}

struct KinitRecord {
  std::chrono::steady_clock::time_point last_success{};
  bool ever = false;
};

std::mutex& kinit_mutex() {
  static std::mutex m;
  return m;
}

// ---- Cyrus SASL ----------------------------------------------------------

int cyrus_init_result() {
  // sasl_client_init loads the plug-ins once per process; never undone
  // (sasl_done would pull them from under other users of libsasl2).
  static const int result = sasl_client_init(nullptr);
  return result;
}

int log_callback(void*, int, const char*) {
  // Cyrus would otherwise write to syslog; its errors reach us through
  // sasl_errdetail(), which is what ends up in the error message.
  return SASL_OK;
}

int simple_callback(void* context, int id, const char** result, unsigned* len) {
  const auto* principal = static_cast<const std::string*>(context);
  if (id != SASL_CB_AUTHNAME) return SASL_FAIL;
  *result = principal->c_str();
  if (len) *len = static_cast<unsigned>(principal->size());
  return SASL_OK;
}

int realm_callback(void*, int, const char** available, const char** result) {
  *result = available ? *available : nullptr;
  return SASL_OK;
}

/// Cyrus stores every callback as int (*)(void); going through void (*)()
/// says the cast is deliberate (-Wcast-function-type).
template <class F>
int (*as_proc(F* f))() {
  return reinterpret_cast<int (*)()>(reinterpret_cast<void (*)()>(f));
}

}  // namespace

std::string refresh_kerberos_ticket(const GssapiOptions& options) {
  std::vector<std::string> argv;
  if (!options.kinit_command.empty()) {
    std::string command = replace_all(options.kinit_command, "%{sasl.kerberos.keytab}", options.keytab);
    command = replace_all(command, "%{sasl.kerberos.principal}", options.principal);
    argv = {"/bin/sh", "-c", command};
  } else if (!options.keytab.empty() && !options.principal.empty()) {
    argv = {"kinit", "-k", "-t", options.keytab, options.principal};
  } else {
    return {};
  }
  static std::map<std::string, KinitRecord> records;
  std::lock_guard lock(kinit_mutex());  // one kinit at a time: concurrent ones corrupt the cache
  std::string key = options.kinit_command + '\0' + options.keytab + '\0' + options.principal;
  KinitRecord& record = records[key];
  const auto now = std::chrono::steady_clock::now();
  if (record.ever && now - record.last_success < options.min_time_before_relogin) return {};
  std::string error = run(argv);
  if (!error.empty()) return "kinit failed: " + error;
  record.ever = true;
  record.last_success = now;
  return {};
}

struct GssapiMechanism::Cyrus {
  sasl_conn_t* conn = nullptr;
  std::string principal;  // the callbacks point here
  sasl_callback_t callbacks[4]{};

  ~Cyrus() {
    if (conn) sasl_dispose(&conn);
  }

  std::string detail(int rc) const {
    const char* text = conn ? sasl_errdetail(conn) : sasl_errstring(rc, nullptr, nullptr);
    return text ? text : "Cyrus SASL error " + std::to_string(rc);
  }
};

GssapiMechanism::GssapiMechanism(GssapiOptions options, std::string host)
    : options_(std::move(options)), host_(std::move(host)) {}

GssapiMechanism::~GssapiMechanism() = default;

StepResult GssapiMechanism::step(std::span<const std::uint8_t> challenge) {
  if (complete_) return StepResult::fail("GSSAPI exchange already finished");
  const char* out = nullptr;
  unsigned out_len = 0;
  int rc = SASL_OK;

  if (!started_) {
    started_ = true;
    if (std::string error = refresh_kerberos_ticket(options_); !error.empty()) return StepResult::fail(error);
    if (int init = cyrus_init_result(); init != SASL_OK)
      return StepResult::fail(std::string("Cyrus SASL initialisation failed: ") +
                              sasl_errstring(init, nullptr, nullptr));
    cyrus_ = std::make_unique<Cyrus>();
    cyrus_->principal = options_.principal;
    cyrus_->callbacks[0] = {SASL_CB_LOG, as_proc(&log_callback), nullptr};
    cyrus_->callbacks[1] = {SASL_CB_AUTHNAME, as_proc(&simple_callback), &cyrus_->principal};
    cyrus_->callbacks[2] = {SASL_CB_GETREALM, as_proc(&realm_callback), nullptr};
    cyrus_->callbacks[3] = {SASL_CB_LIST_END, nullptr, nullptr};
    rc = sasl_client_new(options_.service_name.c_str(), host_.c_str(), nullptr, nullptr, cyrus_->callbacks, 0,
                         &cyrus_->conn);
    if (rc != SASL_OK) return StepResult::fail("Cyrus SASL: " + cyrus_->detail(rc));
    const char* chosen = nullptr;
    rc = sasl_client_start(cyrus_->conn, "GSSAPI", nullptr, &out, &out_len, &chosen);
    if (rc == SASL_NOMECH)
      return StepResult::fail("Cyrus SASL has no GSSAPI plug-in: install libsasl2-modules-gssapi-mit (Debian) or "
                              "cyrus-sasl-gssapi");
  } else {
    rc = sasl_client_step(cyrus_->conn, challenge.empty() ? nullptr : reinterpret_cast<const char*>(challenge.data()),
                          static_cast<unsigned>(challenge.size()), nullptr, &out, &out_len);
  }

  if (rc == SASL_INTERACT) return StepResult::fail("Cyrus SASL asked for interaction (missing Kerberos credentials?)");
  if (rc != SASL_OK && rc != SASL_CONTINUE) return StepResult::fail("GSSAPI: " + cyrus_->detail(rc));
  std::vector<std::uint8_t> response;
  if (out && out_len > 0) response.assign(out, out + out_len);
  // SASL_OK with output: the final security-layer answer. Kafka reads it
  // and then answers (SaslAuthenticate) without a token for Cyrus.
  if (rc == SASL_OK) complete_ = true;
  return StepResult::respond(std::move(response), rc == SASL_OK);
}

}  // namespace kwire::security
