#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "kwire/protocol/crc32c.hpp"

using namespace kwire::protocol;

namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A bit-at-a-time reference, written straight from the definition (reflected
// polynomial 0x82F63B78, initial and final complement), independent of the
// table and instruction implementations under test.
std::uint32_t reference_crc32c(std::span<const std::uint8_t> data) {
  std::uint32_t reg = 0xffffffffu;
  for (std::uint8_t byte : data) {
    reg ^= byte;
    for (int bit = 0; bit < 8; ++bit) reg = (reg & 1u) ? (reg >> 1) ^ 0x82F63B78u : reg >> 1;
  }
  return ~reg;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

using Impl = std::uint32_t (*)(std::span<const std::uint8_t>, std::uint32_t) noexcept;

struct NamedImpl {
  const char* name;
  Impl fn;
};

const std::array<NamedImpl, 3> kImpls{{
    {"portable", &crc32c_portable},
    {"hardware", &crc32c_hardware},
    {"dispatch", &crc32c},
}};

}  // namespace

TEST_CASE("crc32c: RFC 3720 (iSCSI) B.4 vectors and the check value, every implementation") {
  INFO("hardware available: " << crc32c_hardware_available());
  std::array<std::uint8_t, 32> zeros{};
  std::array<std::uint8_t, 32> ones{};
  ones.fill(0xff);
  std::array<std::uint8_t, 32> ascending{};
  std::array<std::uint8_t, 32> descending{};
  for (std::size_t i = 0; i < 32; ++i) {
    ascending[i] = static_cast<std::uint8_t>(i);
    descending[i] = static_cast<std::uint8_t>(31 - i);
  }
  for (const auto& impl : kImpls) {
    INFO("implementation: " << impl.name);
    CHECK(impl.fn(zeros, 0) == 0x8A9136AAu);
    CHECK(impl.fn(ones, 0) == 0x62A8AB43u);
    CHECK(impl.fn(ascending, 0) == 0x46DD794Eu);
    CHECK(impl.fn(descending, 0) == 0x113FDB5Cu);
    CHECK(impl.fn(as_bytes("123456789"), 0) == 0xE3069283u);
    CHECK(impl.fn({}, 0) == 0u);
  }
  CHECK(reference_crc32c(as_bytes("123456789")) == 0xE3069283u);
}

TEST_CASE("crc32c: every length 0..300 at every alignment agrees with the bitwise reference") {
  // Covers the byte head/tail loops, the 8-byte loop and (from 768 bytes, see
  // the large-buffer test) the three-stream tiers.
  const auto buffer = random_bytes(300 + 8, 0xC0FFEE);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t length = 0; length + offset <= buffer.size() && length <= 300; ++length) {
      std::span<const std::uint8_t> slice(buffer.data() + offset, length);
      const std::uint32_t expected = reference_crc32c(slice);
      const std::uint32_t portable = crc32c_portable(slice);
      const std::uint32_t hardware = crc32c_hardware(slice);
      if (portable != expected || hardware != expected) {
        FAIL_CHECK("mismatch at offset " << offset << " length " << length);
      }
    }
  }
  CHECK(true);
}

TEST_CASE("crc32c: large buffers exercise the three-stream tiers") {
  // 3 x 4096 and 3 x 256 byte blocks, plus odd remainders and misalignment.
  const auto buffer = random_bytes(64 * 1024 + 32, 42);
  for (std::size_t length : {767u, 768u, 769u, 1536u, 12287u, 12288u, 12289u, 16384u, 16384u + 61u, 40000u,
                             64u * 1024u + 16u}) {
    for (std::size_t offset : {0u, 1u, 5u}) {
      INFO("length " << length << " offset " << offset);
      std::span<const std::uint8_t> slice(buffer.data() + offset, length);
      const std::uint32_t expected = reference_crc32c(slice);
      CHECK(crc32c_portable(slice) == expected);
      CHECK(crc32c_hardware(slice) == expected);
      CHECK(crc32c(slice) == expected);
    }
  }
}

TEST_CASE("crc32c: chained computation equals one pass, for every split point") {
  const auto buffer = random_bytes(2000, 7);
  const std::uint32_t whole = crc32c_portable(buffer);
  std::span<const std::uint8_t> all(buffer);
  for (std::size_t split = 0; split <= buffer.size(); split += (split < 40 ? 1 : 97)) {
    for (const auto& impl : kImpls) {
      INFO(impl.name << " split at " << split);
      const std::uint32_t head = impl.fn(all.first(split), 0);
      CHECK(impl.fn(all.subspan(split), head) == whole);
    }
  }
  // Mixed implementations chain too: the state passed between them is the
  // finished CRC.
  CHECK(crc32c_hardware(all.subspan(1000), crc32c_portable(all.first(1000))) == whole);
}

TEST_CASE("crc32c: shifting by zero bytes joins independently computed CRCs") {
  // raw(A ++ B) = shift(raw(A), |B|) ^ raw_from_zero(B); checked through the
  // public functions: processing |B| zero bytes after A equals the shift.
  const auto a = random_bytes(100, 1);
  const std::vector<std::uint8_t> zeros(333, 0);
  const std::uint32_t reg_after_a = ~crc32c_portable(a);
  std::vector<std::uint8_t> a_then_zeros = a;
  a_then_zeros.insert(a_then_zeros.end(), zeros.begin(), zeros.end());
  CHECK(detail::crc32c_shift(reg_after_a, zeros.size()) == ~crc32c_portable(a_then_zeros));
  CHECK(detail::crc32c_shift(0x12345678u, 0) == 0x12345678u);
  static_assert(detail::crc32c_multiply(0x80000000u, 0xDEADBEEFu) == 0xDEADBEEFu, "x^0 is the identity");
}

TEST_CASE("crc32c: combine joins the CRCs of two parts, for every split point") {
  const auto buffer = random_bytes(70000, 11);
  std::span<const std::uint8_t> all(buffer);
  const std::uint32_t whole = crc32c(all);
  for (std::size_t split : {std::size_t{0}, std::size_t{1}, std::size_t{40}, std::size_t{61}, std::size_t{4096},
                            std::size_t{65535}, std::size_t{69999}, std::size_t{70000}}) {
    INFO("split at " << split);
    const std::uint32_t head = crc32c(all.first(split));
    const std::uint32_t tail = crc32c(all.subspan(split));
    CHECK(crc32c_combine(head, tail, all.size() - split) == whole);
  }
  // Empty parts: crc("") is 0 and changes nothing.
  CHECK(crc32c_combine(whole, 0, 0) == whole);
  CHECK(crc32c_combine(0, whole, all.size()) == whole);
  // A length beyond any buffer agrees with the square-and-multiply shift.
  const std::uint64_t huge = (std::uint64_t{1} << 40) + 12345;
  CHECK((crc32c_combine(0x12345678u, 0, huge) ^ 0) == detail::crc32c_multiply(detail::crc32c_x_pow_8n(huge), 0x12345678u));
}
