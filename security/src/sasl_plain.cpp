#include "kwire/security/sasl_plain.hpp"

#include "crypto.hpp"

namespace kwire::security {

PlainMechanism::PlainMechanism(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

PlainMechanism::~PlainMechanism() { detail::cleanse(password_); }

StepResult PlainMechanism::step(std::span<const std::uint8_t> challenge) {
  switch (calls_++) {
    case 0: {
      // RFC 4616: UTF8NUL separates the fields, so none may contain one.
      if (username_.empty()) return StepResult::fail("PLAIN needs a user name (sasl.username)");
      if (username_.find('\0') != std::string::npos || password_.find('\0') != std::string::npos)
        return StepResult::fail("PLAIN user names and passwords cannot contain a NUL character");
      std::vector<std::uint8_t> token;
      token.reserve(2 + username_.size() + password_.size());
      token.push_back(0);  // empty authzid
      token.insert(token.end(), username_.begin(), username_.end());
      token.push_back(0);
      token.insert(token.end(), password_.begin(), password_.end());
      return StepResult::respond(std::move(token));
    }
    case 1:
      // The broker answers an accepted PLAIN message with an empty token.
      if (!challenge.empty()) return StepResult::fail("unexpected data from the broker after the PLAIN message");
      return StepResult::done();
    default:
      return StepResult::fail("PLAIN exchange already finished");
  }
}

}  // namespace kwire::security
