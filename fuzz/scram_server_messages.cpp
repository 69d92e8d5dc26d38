// The SCRAM client (security::ScramMechanism) fed hostile broker messages.
//
// Input: one mode byte (bit 0: SCRAM-SHA-512 instead of SHA-256), then the
// broker's tokens separated by '\0' (SCRAM messages are printable, so no
// token needs a NUL): server-first, server-final, and anything after.
// The client is the RFC 7677 test client (user "user", password "pencil",
// nonce "rOprNGfwEbeRWgbNEkqO"), so the seed exchange from RFC 7677
// authenticates and mutations start from a real conversation.
//
// Checked: step() never throws or crashes; the exchange ends (done or
// failed) by the second broker message, and a step after done fails; the
// password never appears in a response or a failure message (unless the
// broker's own message held it); a server-first
// whose nonce does not extend the client's is refused; done only follows a
// server-final "v=...".
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/security/sasl_scram.hpp"

using kwire::security::ScramAlgorithm;
using kwire::security::ScramMechanism;
using kwire::security::StepResult;

namespace {

constexpr std::string_view kPassword = "pencil";
constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}
std::string_view text(const std::vector<std::uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  ScramMechanism scram((data[0] & 1) ? ScramAlgorithm::sha512 : ScramAlgorithm::sha256, "user",
                       std::string(kPassword), std::string(kClientNonce));
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  StepResult r = scram.step({});
  KWIRE_FUZZ_CHECK(r.kind == StepResult::Kind::respond && text(r.response) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                   "client-first differs from RFC 7677");
  // Feed the broker's tokens until the exchange ends; after `done`, one
  // more token must be refused. (After `failed` the caller stops: the
  // contract says nothing about later steps.)
  bool done = false;
  for (int round = 0; !rest.empty() || round == 0; ++round) {
    const auto nul = rest.find('\0');
    const std::string_view token = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(token.data()), token.size());

    r = scram.step(bytes);
    // (The client echoes the server's nonce and quotes its e= text, so the
    // password may show when the broker itself sent it.)
    KWIRE_FUZZ_CHECK(contains(token, kPassword) ||
                         (!contains(text(r.response), kPassword) && !contains(r.message, kPassword)),
                     "the password leaked into a response or a message");
    if (done) {
      KWIRE_FUZZ_CHECK(r.kind == StepResult::Kind::failed, "a finished exchange must refuse more steps");
      break;
    }
    if (round == 0 && r.kind == StepResult::Kind::respond) {
      const auto nonce = token.find("r=");
      KWIRE_FUZZ_CHECK(nonce != std::string_view::npos && token.substr(nonce + 2).starts_with(kClientNonce),
                       "accepted a server nonce that does not extend the client nonce");
      KWIRE_FUZZ_CHECK(text(r.response).starts_with("c=biws,r=rOprNGfwEbeRWgbNEkqO"), "client-final malformed");
    }
    if (r.kind == StepResult::Kind::failed) {
      KWIRE_FUZZ_CHECK(!r.message.empty(), "a failure must say why");
      break;
    }
    if (r.kind == StepResult::Kind::done) {
      KWIRE_FUZZ_CHECK(round == 1 && token.starts_with("v="), "done without a server signature");
      done = true;
    }
    KWIRE_FUZZ_CHECK(round < 1 || r.kind != StepResult::Kind::respond, "SCRAM takes two broker messages, no more");
  }
  return 0;
}
