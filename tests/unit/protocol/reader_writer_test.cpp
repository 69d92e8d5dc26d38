#include <doctest/doctest.h>

#include <limits>

#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/writer.hpp"

using namespace kwire::protocol;
using kwire::client_errc;

namespace {
std::vector<std::uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<std::uint8_t> out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}
}  // namespace

TEST_CASE("fixed-width integers are big-endian and round trip") {
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  w.write_int8(-2);
  w.write_int16(0x1234);
  w.write_int32(-1);
  w.write_int64(0x0102030405060708);
  w.write_float64(1.5);
  CHECK(buf.size() == 1 + 2 + 4 + 8 + 8);
  CHECK(buf[1] == 0x12);
  CHECK(buf[2] == 0x34);
  Reader r(buf);
  CHECK(r.read_int8() == -2);
  CHECK(r.read_int16() == 0x1234);
  CHECK(r.read_int32() == -1);
  CHECK(r.read_int64() == 0x0102030405060708);
  CHECK(r.read_float64() == 1.5);
  CHECK(r.ok());
  CHECK(r.at_end());
}

TEST_CASE("varints match Kafka's zigzag vectors") {
  // From Kafka's ByteUtilsTest: zigzag(0)=0, (-1)=1, (1)=2, (-2)=3, 300 -> ac 02 unsigned.
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  w.write_uvarint(300);
  CHECK(buf == bytes({0xac, 0x02}));
  buf.clear();
  w.write_varint(-1);
  CHECK(buf == bytes({0x01}));
  buf.clear();
  w.write_varint(1);
  CHECK(buf == bytes({0x02}));
  buf.clear();
  w.write_varint(std::numeric_limits<std::int32_t>::min());
  CHECK(buf == bytes({0xff, 0xff, 0xff, 0xff, 0x0f}));

  for (std::int64_t v : {0LL, 1LL, -1LL, 63LL, -64LL, 64LL, 1LL << 40, -(1LL << 40),
                         static_cast<long long>(std::numeric_limits<std::int64_t>::min()),
                         static_cast<long long>(std::numeric_limits<std::int64_t>::max())}) {
    buf.clear();
    w.write_varlong(v);
    CHECK(buf.size() == varint_size(v));
    Reader r(buf);
    CHECK(r.read_varlong() == v);
    CHECK(r.ok());
  }
}

TEST_CASE("overlong and truncated varints fail") {
  auto overlong = bytes({0xff, 0xff, 0xff, 0xff, 0x7f});  // > 32 bits
  Reader r(overlong);
  r.read_uvarint();
  CHECK_FALSE(r.ok());
  CHECK(r.error() == client_errc::malformed);

  auto truncated = bytes({0x80, 0x80});
  Reader t(truncated);
  t.read_uvarint();
  CHECK(t.error() == client_errc::truncated);
}

TEST_CASE("reader fails stickily and returns zeros after an underflow") {
  auto buf = bytes({0x00, 0x01, 0x02});
  Reader r(buf);
  CHECK(r.read_int32() == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.error() == client_errc::truncated);
  CHECK(r.read_int8() == 0);  // the byte that was there is not returned now
  CHECK(r.error() == client_errc::truncated);
}

TEST_CASE("strings: classic, compact, nullable") {
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  w.write_string("abc", false);
  w.write_string("abc", true);
  w.write_nullable_string(std::nullopt, false);
  w.write_nullable_string(std::nullopt, true);
  w.write_string("", true);
  CHECK(buf == bytes({0, 3, 'a', 'b', 'c', 4, 'a', 'b', 'c', 0xff, 0xff, 0, 1}));
  Reader r(buf);
  CHECK(r.read_string(false) == "abc");
  CHECK(r.read_string(true) == "abc");
  CHECK_FALSE(r.read_nullable_string(false).has_value());
  CHECK_FALSE(r.read_nullable_string(true).has_value());
  auto empty = r.read_nullable_string(true);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
  CHECK(r.ok());
  CHECK(r.at_end());
}

TEST_CASE("a null where a string is required is malformed") {
  auto buf = bytes({0xff, 0xff});
  Reader r(buf);
  r.read_string(false);
  CHECK(r.error() == client_errc::malformed);
}

TEST_CASE("lengths beyond the input are rejected before allocating") {
  auto buf = bytes({0x7f, 0xff, 0xff, 0xff, 'x'});  // bytes of length 2^31-1
  Reader r(buf);
  auto b = r.read_nullable_bytes(false);
  CHECK_FALSE(b.has_value());
  CHECK(r.error() == client_errc::length_exceeds_input);

  auto arr = bytes({0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0});
  Reader a(arr);
  CHECK(a.read_array_length(false, 4) == 0);
  CHECK(a.error() == client_errc::length_exceeds_input);

  auto compact = bytes({0xff, 0xff, 0xff, 0xff, 0x0f});  // compact count 2^32-2
  Reader c(compact);
  CHECK(c.read_array_length(true, 1) == 0);
  CHECK_FALSE(c.ok());
}

TEST_CASE("array lengths: null, empty, compact") {
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  w.write_array_length(-1, true);
  w.write_array_length(0, true);
  w.write_array_length(-1, false);
  CHECK(buf == bytes({0, 1, 0xff, 0xff, 0xff, 0xff}));
  Reader r(buf);
  CHECK(r.read_array_length(true, 1) == -1);
  CHECK(r.read_array_length(true, 1) == 0);
  CHECK(r.read_array_length(false, 1) == -1);
  CHECK(r.ok());
}

TEST_CASE("tagged fields: unknown tags are preserved and written back in order") {
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  TaggedFields unknown{{5, {1, 2}}, {1, {9}}};
  TaggedFields known{{3, {7, 7, 7}}};
  w.write_tagged_fields(unknown, known);
  CHECK(buf == bytes({3, 1, 1, 9, 3, 3, 7, 7, 7, 5, 2, 1, 2}));

  Reader r(buf);
  TaggedFields kept;
  int seen_three = 0;
  r.read_tagged_fields(kept, [&](std::uint32_t tag, Reader& field) {
    if (tag != 3) return false;
    seen_three = field.read_int8() + field.read_int8() + field.read_int8();
    return true;
  });
  CHECK(r.ok());
  CHECK(seen_three == 21);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0] == RawTaggedField{1, {9}});
  CHECK(kept[1] == RawTaggedField{5, {1, 2}});
}

TEST_CASE("tagged fields: descending tags and oversize fields are rejected") {
  auto descending = bytes({2, 5, 0, 1, 0});
  Reader r(descending);
  TaggedFields kept;
  r.read_tagged_fields(kept);
  CHECK(r.error() == client_errc::malformed);

  auto oversize = bytes({1, 0, 9, 1});
  Reader o(oversize);
  o.read_tagged_fields(kept);
  CHECK_FALSE(o.ok());
}

TEST_CASE("a known tag must consume exactly its size") {
  auto buf = bytes({1, 0, 2, 1, 2});
  Reader r(buf);
  TaggedFields kept;
  r.read_tagged_fields(kept, [](std::uint32_t, Reader& field) {
    field.read_int8();  // reads 1 of 2 bytes
    return true;
  });
  CHECK(r.error() == client_errc::trailing_bytes);
}

TEST_CASE("placeholders are patched in place") {
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  auto at = w.reserve_int32();
  w.write_int8(1);
  w.patch_int32(at, 0x0a0b0c0d);
  CHECK(buf == bytes({0x0a, 0x0b, 0x0c, 0x0d, 1}));
}

TEST_CASE("uuid base64 matches Kafka's form") {
  Uuid id;
  for (int i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(i);
  CHECK(id.to_base64() == "AAECAwQFBgcICQoLDA0ODw");
  CHECK(id.to_base64().size() == 22);
}
