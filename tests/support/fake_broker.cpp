#include "support/fake_broker.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <algorithm>
#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(ssl/context.hpp)
#include KWIRE_ASIO_INCLUDE(ssl/stream.hpp)
#include KWIRE_ASIO_INCLUDE(write.hpp)

#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"

namespace kwire::test {

using asio::ip::tcp;
using protocol::ApiKey;
using protocol::RequestHeader;

namespace {

std::string text(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }
Bytes bytes(std::string_view s) { return {s.begin(), s.end()}; }

Bytes hmac(const EVP_MD* md, const Bytes& key, std::string_view data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out.data(), &len);
  out.resize(len);
  return out;
}

std::string b64(const Bytes& b) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), b.data(), static_cast<int>(b.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Bytes unb64(const std::string& s) {
  Bytes out(s.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return {};
  std::size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

}  // namespace

// ---- configuration -------------------------------------------------------------

protocol::ApiVersionsResponse::ApiVersion api_range(ApiKey key, std::int16_t min, std::int16_t max) {
  return {static_cast<std::int16_t>(key), min, max, {}};
}

std::vector<protocol::ApiVersionsResponse::ApiVersion> default_api_ranges() {
  return {api_range(ApiKey::produce, 0, 11),        api_range(ApiKey::fetch, 0, 16),
          api_range(ApiKey::metadata, 0, 12),       api_range(ApiKey::api_versions, 0, 4),
          api_range(ApiKey::init_producer_id, 0, 5), api_range(ApiKey::sasl_handshake, 0, 1),
          api_range(ApiKey::sasl_authenticate, 0, 2), {1000, 0, 3, {}}};
}

void FakeBrokerConfig::offer_sasl(std::optional<std::int16_t> handshake_max,
                                  std::optional<std::int16_t> authenticate_max) {
  std::erase_if(ranges, [](const auto& r) {
    return r.api_key == static_cast<std::int16_t>(ApiKey::sasl_handshake) ||
           r.api_key == static_cast<std::int16_t>(ApiKey::sasl_authenticate);
  });
  if (handshake_max) ranges.push_back(api_range(ApiKey::sasl_handshake, 0, *handshake_max));
  if (authenticate_max) ranges.push_back(api_range(ApiKey::sasl_authenticate, 0, *authenticate_max));
}

// ---- SCRAM server (RFC 5802) -----------------------------------------------------

std::optional<std::string> ScramServer::respond(const std::string& message) {
  if (step++ == 0) {
    // "n,,n=user,r=nonce"
    if (message.rfind("n,,", 0) != 0) return std::nullopt;
    client_first_bare = message.substr(3);
    auto r = client_first_bare.find(",r=");
    if (client_first_bare.substr(0, r) != "n=" + user) return std::nullopt;
    std::string nonce = client_first_bare.substr(r + 3) + "SERVERNONCE";
    server_first = "r=" + nonce + ",s=" + b64(bytes("kwire-salt")) + ",i=4096";
    return server_first;
  }
  auto p = message.rfind(",p=");
  std::string without_proof = message.substr(0, p);
  Bytes proof = unb64(message.substr(p + 3));
  std::string auth = client_first_bare + "," + server_first + "," + without_proof;
  Bytes salted(static_cast<std::size_t>(EVP_MD_get_size(md)));
  Bytes salt = bytes("kwire-salt");
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                    4096, md, static_cast<int>(salted.size()), salted.data());
  Bytes client_key = hmac(md, salted, "Client Key");
  Bytes stored(static_cast<std::size_t>(EVP_MD_get_size(md)));
  EVP_Digest(client_key.data(), client_key.size(), stored.data(), nullptr, md, nullptr);
  Bytes signature = hmac(md, stored, auth);
  if (proof.size() != signature.size()) return std::nullopt;
  for (std::size_t i = 0; i < proof.size(); ++i)
    if (static_cast<std::uint8_t>(proof[i] ^ signature[i]) != client_key[i]) return std::nullopt;
  return "v=" + b64(hmac(md, hmac(md, salted, "Server Key"), auth));
}

// ---- a session -------------------------------------------------------------------

struct FakeSession::TlsLayer {
  asio::ssl::stream<tcp::socket> stream;
};

FakeSession::FakeSession(tcp::socket socket, FakeBroker& broker) : socket_(std::move(socket)), broker_(&broker) {}

FakeSession::~FakeSession() = default;

tcp::socket& FakeSession::lowest() { return tls_ ? tls_->stream.next_layer() : socket_; }

void FakeSession::start() {
  if (!broker_->config.tls) return read();
  SSL_CTX_up_ref(broker_->config.tls);
  asio::ssl::context ctx(broker_->config.tls);  // adopts one reference
  tls_ = std::make_unique<TlsLayer>(TlsLayer{asio::ssl::stream<tcp::socket>(std::move(socket_), ctx)});
  tls_->stream.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](std::error_code ec) {
    if (ec) {
      self->tls_failed = true;
      return self->close();  // as Kafka does after a failed handshake
    }
    self->read();
  });
}

void FakeSession::respond(const RequestHeader& request, const Bytes& body, std::optional<std::int32_t> correlation) {
  Bytes frame;
  protocol::Writer w(frame);
  std::size_t at = w.reserve_int32();
  protocol::ResponseHeader header;
  header.correlation_id = correlation.value_or(request.correlation_id);
  header.encode(w, protocol::response_header_version(request.api_key, request.api_version));
  w.write_raw(body);
  w.patch_int32(at, static_cast<std::int32_t>(frame.size() - 4));
  send(std::move(frame));
}

void FakeSession::send(Bytes bytes) {
  out_.push_back(std::move(bytes));
  if (out_.size() == 1) write_next();
}

void FakeSession::close_after_writes() {
  close_when_drained_ = true;
  if (out_.empty()) close();
}

void FakeSession::close() {
  kwire::net::asio_error_code ignored;
  lowest().close(ignored);
}

void FakeSession::read() {
  auto on_read = [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (ec) return;
    std::span<const std::uint8_t> data(self->buffer_.data(), n);
    while (true) {
      data = data.subspan(self->decoder_.put(data));
      if (self->decoder_.error()) return self->close();  // as Kafka does with an absurd size
      if (!self->decoder_.has_frame()) break;
      Bytes frame = self->decoder_.take_frame();
      self->on_frame(frame);
    }
    self->read();
  };
  if (tls_)
    tls_->stream.async_read_some(asio::buffer(buffer_), on_read);
  else
    socket_.async_read_some(asio::buffer(buffer_), on_read);
}

void FakeSession::write_next() {
  auto done = [self = shared_from_this()](std::error_code ec, std::size_t) {
    if (ec) return;
    self->out_.pop_front();
    if (!self->out_.empty())
      self->write_next();
    else if (self->close_when_drained_)
      self->close();
  };
  if (tls_)
    asio::async_write(tls_->stream, asio::buffer(out_.front()), done);
  else
    asio::async_write(socket_, asio::buffer(out_.front()), done);
}

void FakeSession::on_sasl_token(const Bytes& token,
                                std::function<void(kwire::errc, std::optional<std::string>, Bytes)> answer) {
  const FakeBrokerConfig& cfg = broker_->config;
  if (mechanism == "PLAIN") {
    plain_tokens.push_back(text(token));
    std::string expected = std::string(1, '\0') + cfg.user + std::string(1, '\0') + cfg.password;
    if (text(token) != expected)
      return answer(errc::sasl_authentication_failed, "Authentication failed: Invalid username or password", {});
    ++authentications;
    return answer(errc::none, std::nullopt, {});
  }
  if (mechanism.rfind("SCRAM-", 0) == 0) {
    if (!scram) scram = ScramServer{EVP_sha256(), cfg.user, cfg.password, {}, {}, 0};
    auto reply = scram->respond(text(token));
    if (!reply)
      return answer(errc::sasl_authentication_failed,
                    "Authentication failed during authentication due to invalid credentials with SASL mechanism " +
                        mechanism,
                    {});
    if (scram->step == 2) {
      ++authentications;
      scram.reset();
    }
    return answer(errc::none, std::nullopt, bytes(*reply));
  }
  if (mechanism == "OAUTHBEARER") {
    std::string message = text(token);
    if (message == "\x01") return answer(errc::sasl_authentication_failed, "Authentication failed: invalid token", {});
    if (message.find("auth=Bearer good") == std::string::npos)
      return answer(errc::none, std::nullopt, bytes(R"({"status":"invalid_token"})"));
    plain_tokens.push_back(message);
    ++authentications;
    return answer(errc::none, std::nullopt, {});
  }
  answer(errc::illegal_sasl_state, "no mechanism", {});
}

void FakeSession::answer_api_versions(const RequestHeader& header) {
  const FakeBrokerConfig& cfg = broker_->config;
  protocol::ApiVersionsResponse response;
  response.api_keys = cfg.ranges;
  std::int16_t version = header.api_version;
  if (version > cfg.max_api_versions_version) {
    // KIP-511: refuse in the v0 format, listing our ranges.
    response.error_code = kwire::errc::unsupported_version;
    version = 0;
  } else if (cfg.api_versions_error != kwire::errc::none) {
    response.error_code = cfg.api_versions_error;
  }
  Bytes body;
  REQUIRE_FALSE(protocol::encode_message(response, version, body));
  respond(header, body);
}

void FakeSession::on_frame(const Bytes& frame) {
  const FakeBrokerConfig& cfg = broker_->config;
  if (raw_tokens) {
    // SaslHandshake v0: a bare token; answer with a bare frame.
    RequestHeader marker;
    marker.api_key = static_cast<ApiKey>(-1);
    requests.push_back(marker);
    bodies.push_back(frame);
    on_sasl_token(frame, [self = shared_from_this()](kwire::errc e, std::optional<std::string>, Bytes reply) {
      if (e != errc::none) return self->close();  // v0: the broker just hangs up
      Bytes out;
      protocol::Writer w(out);
      w.write_int32(static_cast<std::int32_t>(reply.size()));
      w.write_raw(reply);
      self->send(std::move(out));
      if (self->authentications > 0 && !self->scram) self->raw_tokens = false;
    });
    return;
  }
  protocol::Reader peek(frame);
  auto key = static_cast<ApiKey>(peek.read_int16());
  std::int16_t version = peek.read_int16();
  protocol::Reader reader(frame);
  RequestHeader header;
  REQUIRE_FALSE(header.decode(reader, protocol::request_header_version(key, version)));
  auto body_view = reader.read_raw(reader.remaining());
  requests.push_back(header);
  bodies.emplace_back(body_view.begin(), body_view.end());
  const Bytes& body = bodies.back();

  switch (header.api_key) {
    case ApiKey::api_versions:
      if (cfg.answer_api_versions) answer_api_versions(header);
      return;
    case ApiKey::sasl_handshake: {
      protocol::SaslHandshakeRequest req;
      REQUIRE_FALSE(protocol::decode_message(body, header.api_version, req));
      protocol::SaslHandshakeResponse r;
      r.mechanisms = cfg.mechanisms;
      r.error_code = cfg.handshake_error;
      if (r.error_code == errc::none &&
          std::find(cfg.mechanisms.begin(), cfg.mechanisms.end(), req.mechanism) == cfg.mechanisms.end())
        r.error_code = errc::unsupported_sasl_mechanism;
      mechanism = req.mechanism;
      raw_tokens = header.api_version == 0 && r.error_code == errc::none;
      Bytes out;
      REQUIRE_FALSE(protocol::encode_message(r, header.api_version, out));
      if (authentications > 0 && cfg.reauth_answer_delay > std::chrono::milliseconds(0)) {
        delay_ = std::make_unique<asio::steady_timer>(broker_->io(), cfg.reauth_answer_delay);
        delay_->async_wait([self = shared_from_this(), header, out](std::error_code) { self->respond(header, out); });
        return;
      }
      return respond(header, out);
    }
    case ApiKey::sasl_authenticate: {
      if (!cfg.answer_authenticate) return;
      protocol::SaslAuthenticateRequest req;
      REQUIRE_FALSE(protocol::decode_message(body, header.api_version, req));
      const std::int16_t v = header.api_version;
      on_sasl_token(req.auth_bytes, [self = shared_from_this(), header, v, &cfg](
                                        kwire::errc e, std::optional<std::string> message, Bytes reply) {
        protocol::SaslAuthenticateResponse r;
        r.error_code = e;
        r.error_message = std::move(message);
        r.auth_bytes = std::move(reply);
        if (e == errc::none) r.session_lifetime_ms = cfg.session_lifetime_ms;
        Bytes out;
        REQUIRE_FALSE(protocol::encode_message(r, v, out));
        self->respond(header, out);
      });
      return;
    }
    default:
      if (broker_->on_request) broker_->on_request(*this, header, body);
  }
}

// ---- the broker ----------------------------------------------------------------

FakeBroker::FakeBroker(asio::io_context& io, FakeBrokerConfig cfg)
    : config(std::move(cfg)), io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  accept();
}

FakeBroker::~FakeBroker() { stop(); }

std::uint16_t FakeBroker::port() const { return acceptor_.local_endpoint().port(); }

net::ConnectionOptions FakeBroker::options(const std::string& host) const {
  net::ConnectionOptions o;
  o.host = host;
  o.port = port();
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.request_timeout = std::chrono::milliseconds(2000);
  return o;
}

void FakeBroker::stop() {
  kwire::net::asio_error_code ignored;
  acceptor_.close(ignored);
  for (auto& s : sessions) s->close();
}

void FakeBroker::accept() {
  acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec) return;
    sessions.push_back(std::make_shared<FakeSession>(std::move(socket), *this));
    sessions.back()->start();
    accept();
  });
}

}  // namespace kwire::test
