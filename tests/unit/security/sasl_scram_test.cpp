// SCRAM-SHA-256 against the RFC 7677 section 3 example, SCRAM-SHA-512 against
// a vector derived independently with Python's hashlib/hmac (same user,
// password, nonces and salt as RFC 7677; the script reproduced the RFC's
// SHA-256 values exactly before giving these), and every refusal the client
// must make.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "kwire/security/sasl_scram.hpp"

using kwire::security::ScramAlgorithm;
using kwire::security::ScramMechanism;
using kwire::security::StepResult;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

ScramMechanism rfc_client(ScramAlgorithm algorithm) {
  return ScramMechanism(algorithm, "user", "pencil", std::string(kClientNonce));
}

/// Runs the first step and checks the client-first message.
void start(ScramMechanism& m) {
  StepResult first = m.step({});
  REQUIRE(first.kind == StepResult::Kind::respond);
  CHECK(text(first.response) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
}

}  // namespace

TEST_CASE("SCRAM-SHA-256: the RFC 7677 example, message by message") {
  auto m = rfc_client(ScramAlgorithm::sha256);
  CHECK(m.name() == "SCRAM-SHA-256");
  start(m);
  StepResult final_message = m.step(bytes(kServerFirst));
  REQUIRE(final_message.kind == StepResult::Kind::respond);
  CHECK_FALSE(final_message.last);
  CHECK(text(final_message.response) ==
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  StepResult verified = m.step(bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  CHECK(verified.kind == StepResult::Kind::done);
  CHECK(m.step({}).kind == StepResult::Kind::failed);  // nothing after done
}

TEST_CASE("SCRAM-SHA-512: a vector derived with Python's hashlib") {
  auto m = rfc_client(ScramAlgorithm::sha512);
  CHECK(m.name() == "SCRAM-SHA-512");
  start(m);
  StepResult final_message = m.step(bytes(kServerFirst));
  REQUIRE(final_message.kind == StepResult::Kind::respond);
  CHECK(text(final_message.response) ==
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==");
  StepResult verified = m.step(
      bytes("v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw=="));
  CHECK(verified.kind == StepResult::Kind::done);
}

TEST_CASE("SCRAM escapes ',' and '=' in the user name") {
  CHECK(ScramMechanism::escape_username("a,b=c") == "a=2Cb=3Dc");
  CHECK(ScramMechanism::escape_username("==,,") == "=3D=3D=2C=2C");
  CHECK(ScramMechanism::escape_username("alice") == "alice");
  ScramMechanism m(ScramAlgorithm::sha256, "us,er=1", "pw", "nonce");
  StepResult first = m.step({});
  REQUIRE(first.kind == StepResult::Kind::respond);
  CHECK(text(first.response) == "n,,n=us=2Cer=3D1,r=nonce");
}

TEST_CASE("SCRAM makes a fresh random nonce when none is injected") {
  ScramMechanism a(ScramAlgorithm::sha256, "alice", "pw");
  ScramMechanism b(ScramAlgorithm::sha256, "alice", "pw");
  std::string fa = text(a.step({}).response);
  std::string fb = text(b.step({}).response);
  CHECK(fa.rfind("n,,n=alice,r=", 0) == 0);
  CHECK(fa.size() == std::string("n,,n=alice,r=").size() + 32);
  CHECK(fa != fb);
}

TEST_CASE("SCRAM refuses a broker that breaks the protocol") {
  auto m = rfc_client(ScramAlgorithm::sha256);
  start(m);
  std::string message;
  SUBCASE("server nonce does not extend ours") {
    StepResult r = m.step(bytes("r=XXprNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
    REQUIRE(r.kind == StepResult::Kind::failed);
    message = r.message;
    CHECK(message.find("nonce") != std::string::npos);
  }
  SUBCASE("server nonce equal to ours (no server part)") {
    StepResult r = m.step(bytes("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
    CHECK(r.kind == StepResult::Kind::failed);
  }
  SUBCASE("too few iterations") {
    StepResult r = m.step(bytes("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095"));
    REQUIRE(r.kind == StepResult::Kind::failed);
    CHECK(r.message.find("4095") != std::string::npos);
  }
  SUBCASE("absurdly many iterations") {
    StepResult r = m.step(bytes("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2000000000"));
    CHECK(r.kind == StepResult::Kind::failed);
  }
  SUBCASE("iteration count not a number") {
    CHECK(m.step(bytes("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=40x96")).kind ==
          StepResult::Kind::failed);
  }
  SUBCASE("bad salt") {
    CHECK(m.step(bytes("r=rOprNGfwEbeRWgbNEkqOxyz,s=not*base64,i=4096")).kind == StepResult::Kind::failed);
  }
  SUBCASE("a mandatory extension") {
    StepResult r = m.step(bytes("m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
    REQUIRE(r.kind == StepResult::Kind::failed);
    CHECK(r.message.find("extension") != std::string::npos);
  }
  SUBCASE("garbage") {
    CHECK(m.step(bytes("hello")).kind == StepResult::Kind::failed);
    CHECK(m.step(bytes("")).kind == StepResult::Kind::failed);
  }
  SUBCASE("after a failure, even a valid server-first is refused") {
    REQUIRE(m.step(bytes("r=XXprNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")).kind ==
            StepResult::Kind::failed);
    StepResult again = m.step(bytes(kServerFirst));
    CHECK(again.kind == StepResult::Kind::failed);
    CHECK(again.response.empty());
  }
}

TEST_CASE("SCRAM verifies the server signature") {
  auto m = rfc_client(ScramAlgorithm::sha256);
  start(m);
  REQUIRE(m.step(bytes(kServerFirst)).kind == StepResult::Kind::respond);
  SUBCASE("a wrong signature") {
    StepResult r = m.step(bytes("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    REQUIRE(r.kind == StepResult::Kind::failed);
    CHECK(r.message.find("signature") != std::string::npos);
  }
  SUBCASE("a server error") {
    StepResult r = m.step(bytes("e=invalid-proof"));
    REQUIRE(r.kind == StepResult::Kind::failed);
    CHECK(r.message.find("invalid-proof") != std::string::npos);
  }
  SUBCASE("neither v= nor e=") {
    CHECK(m.step(bytes("x=1")).kind == StepResult::Kind::failed);
  }
}

TEST_CASE("SCRAM messages never contain the password") {
  ScramMechanism m(ScramAlgorithm::sha512, "alice", "pencil-secret", std::string(kClientNonce));
  std::string all = text(m.step({}).response);
  StepResult second = m.step(bytes(kServerFirst));
  all += text(second.response);
  StepResult bad = m.step(bytes("v=AAAA"));
  all += bad.message;
  CHECK(all.find("pencil") == std::string::npos);
  CHECK(m.principal() == "alice");
  CHECK(m.config_hint().find("sasl.password") != std::string::npos);
}

TEST_CASE("SCRAM refuses an empty user name at the first step") {
  ScramMechanism m(ScramAlgorithm::sha256, "", "pw");
  StepResult r = m.step({});
  REQUIRE(r.kind == StepResult::Kind::failed);
  CHECK(r.message.find("sasl.username") != std::string::npos);
}

TEST_CASE("SCRAM salted_password is Hi() (PBKDF2-HMAC), as AlterUserScramCredentials carries it") {
  auto bytes = [](std::string_view s) { return std::vector<std::uint8_t>(s.begin(), s.end()); };
  auto hex = [](const std::vector<std::uint8_t>& v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (auto b : v) {
      out += digits[b >> 4];
      out += digits[b & 15];
    }
    return out;
  };
  // RFC 7914 section 11's PBKDF2-HMAC-SHA256 vector (its first 32 bytes).
  CHECK(hex(ScramMechanism::salted_password(ScramAlgorithm::sha256, "passwd", bytes("salt"), 1)) ==
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  // python3 -c "import hashlib; print(hashlib.pbkdf2_hmac('sha512', b'pencil', b'salt', 4096).hex())"
  CHECK(hex(ScramMechanism::salted_password(ScramAlgorithm::sha512, "pencil", bytes("salt"), 4096)) ==
        "2cfe3a1c151662b1ea49d13f595674a1c666add70df15d3d02254e9905993878"
        "261da7407fd11c2fee4b0a30df5154b1a752f86a13380ddd4bdd9a7c958ec769");
  const auto a = ScramMechanism::random_salt();
  const auto b = ScramMechanism::random_salt();
  CHECK(a.size() == 32);
  CHECK(a != b);
}
