#pragma once
// kwire consume -G: the group mode of `kwire consume` (group_consume.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kwire/protocol/record_batch.hpp>

#include "options.hpp"

namespace kwire::cli {

struct GroupConsumeOptions {
  CommonOptions common;
  std::string group;
  std::vector<std::string> topics;
  std::optional<std::string> start;  ///< -o beginning|end -> auto.offset.reset unless -X sets it
  std::optional<std::int64_t> count;
  std::optional<std::string> format;
  bool exit_at_end = false;
  bool base64 = false;
};

int run_group_consume(const GroupConsumeOptions& options);

/// consume_cmd.cpp's JSON line for one record.
void write_record_json(std::string& out, const std::string& topic, std::int32_t partition,
                       const protocol::RecordBatch& batch, const protocol::Record& r, bool base64);

}  // namespace kwire::cli
