#include "kwire/security/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace kwire::security {
namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

/// The newest OpenSSL error as text (reason only: OpenSSL's file names and
/// line numbers mean nothing to a user), and clears the queue.
std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "OpenSSL error " + std::to_string(ERR_GET_REASON(e));
}

int protocol_version(TlsVersion v) noexcept { return v == TlsVersion::tls1_2 ? TLS1_2_VERSION : TLS1_3_VERSION; }

/// Reads a whole (small) file; the message names the file and the key.
bool read_file(const std::string& path, std::string_view key, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string(key) + ": cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

BioPtr memory_bio(const std::string& text) { return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

/// Every certificate in a PEM text, in order.
std::vector<X509Ptr> read_certificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  BioPtr bio = memory_bio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  // Reading stops at the end of the input with a "no start line" error: expected.
  ERR_clear_error();
  return out;
}

bool load_ca(SSL_CTX* ctx, const TlsSettings& s, std::string& error) {
  if (!s.ca_pem.empty()) {
    auto certs = read_certificates(s.ca_pem);
    if (certs.empty()) {
      error = "ssl.ca.pem: no PEM certificate found";
      return false;
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (auto& c : certs) {
      if (X509_STORE_add_cert(store, c.get()) != 1) {
        error = "ssl.ca.pem: " + openssl_reason();
        return false;
      }
    }
    return true;
  }
  if (!s.ca_location.empty()) {
    struct stat st {};
    if (::stat(s.ca_location.c_str(), &st) != 0) {
      error = "ssl.ca.location: cannot read " + s.ca_location + ": " + std::strerror(errno);
      return false;
    }
    const bool directory = S_ISDIR(st.st_mode);
    if (!directory) {
      // Load by hand so that a file without a single certificate is an
      // error here, not an "unknown CA" at the first handshake.
      std::string text;
      if (!read_file(s.ca_location, "ssl.ca.location", text, error)) return false;
      auto certs = read_certificates(text);
      if (certs.empty()) {
        error = "ssl.ca.location: no PEM certificate in " + s.ca_location;
        return false;
      }
      X509_STORE* store = SSL_CTX_get_cert_store(ctx);
      for (auto& c : certs)
        if (X509_STORE_add_cert(store, c.get()) != 1) {
          error = "ssl.ca.location: " + openssl_reason();
          return false;
        }
      return true;
    }
    if (SSL_CTX_load_verify_locations(ctx, nullptr, s.ca_location.c_str()) != 1) {
      error = "ssl.ca.location: " + s.ca_location + ": " + openssl_reason();
      return false;
    }
    return true;
  }
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = "ssl.ca.location: cannot load the system CA store: " + openssl_reason();
    return false;
  }
  return true;
}

bool load_client_identity(SSL_CTX* ctx, const TlsSettings& s, std::string& error) {
  const bool has_cert = !s.certificate_location.empty() || !s.certificate_pem.empty();
  const bool has_key = !s.key_location.empty() || !s.key_pem.empty();
  if (!has_cert && !has_key) return true;
  if (has_cert != has_key) {
    error = has_cert ? "ssl.key.location: a client certificate needs its private key (ssl.key.location or ssl.key.pem)"
                     : "ssl.certificate.location: a private key needs its client certificate "
                       "(ssl.certificate.location or ssl.certificate.pem)";
    return false;
  }

  const std::string_view cert_key = s.certificate_pem.empty() ? "ssl.certificate.location" : "ssl.certificate.pem";
  std::string cert_text = s.certificate_pem;
  if (cert_text.empty() && !read_file(s.certificate_location, cert_key, cert_text, error)) return false;
  auto chain = read_certificates(cert_text);
  if (chain.empty()) {
    error = std::string(cert_key) + ": no PEM certificate found";
    return false;
  }
  if (SSL_CTX_use_certificate(ctx, chain[0].get()) != 1) {
    error = std::string(cert_key) + ": " + openssl_reason();
    return false;
  }
  for (std::size_t i = 1; i < chain.size(); ++i)
    if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) {
      error = std::string(cert_key) + ": " + openssl_reason();
      return false;
    }

  const std::string_view key_key = s.key_pem.empty() ? "ssl.key.location" : "ssl.key.pem";
  std::string key_text = s.key_pem;
  if (key_text.empty() && !read_file(s.key_location, key_key, key_text, error)) return false;
  BioPtr bio = memory_bio(key_text);  // reads key_text in place: cleanse after use
  // With no callback, OpenSSL takes the last argument as the pass phrase
  // (a NUL-terminated string); an empty one fails cleanly on encrypted keys.
  std::string password = s.key_password;
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, password.data()));
  OPENSSL_cleanse(password.data(), password.size());
  bio.reset();
  OPENSSL_cleanse(key_text.data(), key_text.size());
  if (!key) {
    ERR_clear_error();
    error = std::string(key_key) + ": cannot read the private key" +
            (s.key_password.empty() ? " (if it is encrypted, set ssl.key.password)" : " (wrong ssl.key.password?)");
    return false;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    error = std::string(key_key) + ": the private key does not match the client certificate";
    return false;
  }
  return true;
}

bool is_ip_literal(const std::string& host) {
  std::string bare = host.substr(0, host.find('%'));  // an IPv6 zone is not part of the address
  unsigned char buf[16];
  return inet_pton(AF_INET, bare.c_str(), buf) == 1 || inet_pton(AF_INET6, bare.c_str(), buf) == 1;
}

/// The names a certificate carries (subjectAltName DNS and IP entries), for
/// the hostname-mismatch message.
std::string certificate_names(const X509* cert) {
  if (!cert) return {};
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
      std::string entry;
      if (n->type == GEN_DNS) {
        const auto* s = n->d.dNSName;
        entry = "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                     static_cast<std::size_t>(ASN1_STRING_length(s)));
      } else if (n->type == GEN_IPADD) {
        const auto* s = n->d.iPAddress;
        char text[INET6_ADDRSTRLEN] = {};
        int len = ASN1_STRING_length(s);
        if (len == 4 || len == 16)
          inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text);
        entry = std::string("IP:") + text;
      }
      if (entry.empty()) continue;
      if (!out.empty()) out += ", ";
      out += entry;
    }
    GENERAL_NAMES_free(names);
  }
  if (out.empty()) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      out = std::string("CN=") + cn;
  }
  // Certificates are public, but keep the line short and printable.
  std::string clean;
  for (char c : out.substr(0, 300))
    if (c >= 0x20 && c < 0x7f) clean += c;
  return clean;
}

std::string verify_message(const SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  const std::string text = X509_verify_cert_error_string(result);
  const std::string where = "the broker's certificate";
  switch (result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:  // a different CA with the issuer's name
      return where + " is not signed by a trusted CA (" + text +
             "): set ssl.ca.location (or ssl.ca.pem) to the CA that issued it";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
      // After a failed verification OpenSSL keeps the received chain, not
      // the peer certificate: the leaf is its first entry.
      const X509* leaf = SSL_get0_peer_certificate(ssl);
      STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
      if (!leaf && chain && sk_X509_num(chain) > 0) leaf = sk_X509_value(chain, 0);
      std::string names = certificate_names(leaf);
      return where + " does not match the host name (" + text + ")" +
             (names.empty() ? std::string() : "; it is for " + names) +
             ": connect by a name the certificate carries, or set ssl.endpoint.identification.algorithm=none";
    }
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return where + " has expired (" + text + ")";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return where + " is not yet valid (" + text + "): check the clocks";
    case X509_V_ERR_CERT_REVOKED:
      return where + " has been revoked";
    default:
      return where + " failed verification: " + text;
  }
}

}  // namespace

std::shared_ptr<const TlsContext> TlsContext::create(const TlsSettings& settings, std::string& error) {
  error.clear();
  if (!settings.ca_location.empty() && !settings.ca_pem.empty()) {
    error = "ssl.ca.location: set either ssl.ca.location or ssl.ca.pem, not both";
    return nullptr;
  }
  if (!settings.certificate_location.empty() && !settings.certificate_pem.empty()) {
    error = "ssl.certificate.location: set either ssl.certificate.location or ssl.certificate.pem, not both";
    return nullptr;
  }
  if (!settings.key_location.empty() && !settings.key_pem.empty()) {
    error = "ssl.key.location: set either ssl.key.location or ssl.key.pem, not both";
    return nullptr;
  }
  if (settings.min_version > settings.max_version) {
    error = "TLS minimum version above the maximum";
    return nullptr;
  }

  std::shared_ptr<TlsContext> context(new TlsContext());
  ERR_clear_error();
  context->ctx_ = SSL_CTX_new(TLS_client_method());
  if (!context->ctx_) {
    error = "cannot create a TLS context: " + openssl_reason();
    return nullptr;
  }
  SSL_CTX* ctx = context->ctx_;
  SSL_CTX_set_min_proto_version(ctx, protocol_version(settings.min_version));
  SSL_CTX_set_max_proto_version(ctx, protocol_version(settings.max_version));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // Kafka connections are long-lived and few: no session cache needed.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (!load_ca(ctx, settings, error)) return nullptr;
  if (!load_client_identity(ctx, settings, error)) return nullptr;
  context->verify_hostname_ = settings.verify_hostname;
  context->has_client_certificate_ = !settings.certificate_location.empty() || !settings.certificate_pem.empty();
  return context;
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

ssl_st* TlsContext::new_session(const std::string& host, std::string& error) const {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) {
    error = "cannot create a TLS session: " + openssl_reason();
    return nullptr;
  }
  if (!configure_session(ssl, host, error)) {
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

bool TlsContext::configure_session(ssl_st* ssl, const std::string& host, std::string& error) const {
  ERR_clear_error();
  const bool ip = is_ip_literal(host);
  bool ok = true;
  // RFC 6066 3: SNI carries host names only, never literal addresses.
  if (!ip && !host.empty()) ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (ok && verify_hostname_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (ip)
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.substr(0, host.find('%')).c_str()) == 1;
    else
      ok = X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
  }
  if (!ok) error = "cannot set up TLS for host \"" + host + "\": " + openssl_reason();
  return ok;
}

TlsFailure TlsContext::describe_failure(const ssl_st* session, unsigned long openssl_error,
                                        std::string_view address) const {
  TlsFailure f;
  const std::string prefix = "TLS with " + std::string(address) + " failed: ";
  if (session && SSL_get_verify_result(session) != X509_V_OK) {
    f.authentication = true;
    f.message = prefix + verify_message(session);
    return f;
  }
  const int reason = openssl_error ? ERR_GET_REASON(openssl_error) : 0;
  const char* reason_text = openssl_error ? ERR_reason_error_string(openssl_error) : nullptr;
  const std::string what = reason_text ? reason_text : "unknown TLS error";
  switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      f.authentication = true;
      f.message = prefix + "certificate verification failed";
      break;
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:  // a client certificate signed by an unknown CA of the same name
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      f.authentication = true;
      if (!has_client_certificate_)
        f.message = prefix + "the broker refused the handshake (" + what +
                    "): it requires a client certificate; set ssl.certificate.location and ssl.key.location";
      else
        f.message = prefix + "the broker rejected the client certificate (" + what +
                    "): it must be issued by a CA the broker trusts";
      break;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_HTTP_REQUEST:
      f.authentication = true;
      f.message = prefix + "the broker did not answer in TLS (" + what + "): is " + std::string(address) +
                  " a TLS listener? SSL and SASL_SSL need one";
      break;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      f.authentication = true;
      f.message = prefix + "no TLS version in common (" + what + "; kwire speaks TLS 1.2 and 1.3)";
      break;
    default:
      f.message = prefix + what;
      break;
  }
  return f;
}

}  // namespace kwire::security
