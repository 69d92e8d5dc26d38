// RecordBatchBuilder::try_append (issue 8: the producer sizes each record
// once): the same bytes as append(), the same rule as has_room_for().
#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kwire/protocol/record_batch.hpp"

using namespace kwire::protocol;

namespace {
std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("try_append writes exactly what append writes") {
  RecordBatchBuilder a(1000, 4096), b(1000, 4096);
  const std::string key = "k", value(300, 'v'), hv = "header-value";
  const std::vector<RecordHeader> headers{{"h1", bytes(hv)}, {"h2", std::nullopt}};
  for (int i = 0; i < 5; ++i) {
    const std::int64_t ts = 1000 + i * 70;  // deltas of 1 and 2 varint bytes
    a.append(ts, bytes(key), bytes(value), headers);
    CHECK(b.try_append(ts, bytes(key), bytes(value), headers, 1 << 20));
    a.append(ts - 5, std::nullopt, std::nullopt);  // negative delta, null key and value
    CHECK(b.try_append(ts - 5, std::nullopt, std::nullopt, {}, 1 << 20));
  }
  CHECK(a.record_count() == b.record_count());
  const auto sa = a.seal();
  const auto sb = b.seal();
  CHECK(std::vector<std::uint8_t>(sa.begin(), sa.end()) == std::vector<std::uint8_t>(sb.begin(), sb.end()));
}

TEST_CASE("try_append refuses a record that does not fit, and always takes the first") {
  const std::string value(100, 'x');
  RecordBatchBuilder builder(0);
  // The first record fits even a limit smaller than itself.
  CHECK(builder.try_append(0, std::nullopt, bytes(value), {}, 10));
  CHECK(builder.record_count() == 1);

  RecordBatchBuilder fill(0);
  const std::size_t limit = 400;
  int appended = 0;
  while (fill.try_append(0, std::nullopt, bytes(value), {}, limit)) ++appended;
  const std::size_t size = fill.size_in_bytes();
  CHECK(appended == fill.record_count());
  CHECK(size <= limit);
  // What was refused is what has_room_for refuses, and nothing was written.
  CHECK_FALSE(fill.has_room_for(fill.next_record_size(0, std::nullopt, bytes(value), {}), limit));
  CHECK(fill.size_in_bytes() == size);
  // A smaller record may still fit where the big one did not.
  const bool small_fits = fill.has_room_for(fill.next_record_size(0, std::nullopt, std::nullopt, {}), limit);
  CHECK(fill.try_append(0, std::nullopt, std::nullopt, {}, limit) == small_fits);
}
