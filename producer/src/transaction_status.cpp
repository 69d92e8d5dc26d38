// TransactionStatus and TransactionErrorKind (transaction.hpp).
#include "kwire/producer/transaction.hpp"

namespace kwire::producer {

std::string_view to_string(TransactionErrorKind kind) noexcept {
  switch (kind) {
    case TransactionErrorKind::none: return "none";
    case TransactionErrorKind::timed_out: return "timed_out";
    case TransactionErrorKind::usage: return "usage";
    case TransactionErrorKind::failed: return "failed";
    case TransactionErrorKind::abortable: return "abortable";
    case TransactionErrorKind::fatal: return "fatal";
  }
  return "?";
}

std::string TransactionStatus::message() const {
  if (!error) return {};
  std::string out = error.message();
  if (!detail.empty()) out += ": " + detail;
  out += " [" + std::string(to_string(kind)) + "]";
  return out;
}

}  // namespace kwire::producer
