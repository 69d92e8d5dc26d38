#pragma once
// A throw-away PKI made at test time with OpenSSL's APIs (no files, no
// openssl CLI, no key ever committed): EC P-256 keys, a CA, and leaf
// certificates with chosen names and validity. Header-only so the net tests
// can use it too. Test code: failures abort through REQUIRE-free asserts
// (std::runtime_error), which doctest reports.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kwire::test_pki {

struct KeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

inline Key make_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

struct Issued {
  Key key;
  Cert cert;
};

struct CertSpec {
  std::string common_name = "localhost";
  /// subjectAltName entries, e.g. "DNS:localhost", "IP:127.0.0.1".
  std::vector<std::string> alt_names = {"DNS:localhost", "IP:127.0.0.1"};
  bool ca = false;
  long not_before_seconds = -3600;  ///< relative to now
  long not_after_seconds = 86400;
};

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// Issues a certificate for `spec`, signed by `issuer` (self-signed if null).
inline Issued issue(const CertSpec& spec, const Issued* issuer = nullptr) {
  static long serial = 1;
  Issued out{make_key(), Cert(X509_new())};
  X509* cert = out.cert.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after_seconds);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  if (spec.ca) {
    add_extension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert, issuer_cert, NID_basic_constraints, "CA:FALSE");
    add_extension(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
    std::string sans;
    for (const auto& n : spec.alt_names) sans += (sans.empty() ? "" : ",") + n;
    if (!sans.empty()) add_extension(cert, issuer_cert, NID_subject_alt_name, sans);
  }
  check(X509_sign(cert, issuer ? issuer->key.get() : out.key.get(), EVP_sha256()) > 0, "X509_sign");
  return out;
}

inline std::string to_pem(const X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, const_cast<X509*>(cert));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

/// PKCS#8 PEM; encrypted with AES-256 when `password` is not empty.
inline std::string to_pem(const EVP_PKEY* key, const std::string& password = {}) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (password.empty())
    PEM_write_bio_PKCS8PrivateKey(bio, const_cast<EVP_PKEY*>(key), nullptr, nullptr, 0, nullptr, nullptr);
  else
    PEM_write_bio_PKCS8PrivateKey(bio, const_cast<EVP_PKEY*>(key), EVP_aes_256_cbc(), password.data(),
                                  static_cast<int>(password.size()), nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

/// A CA with a server certificate (localhost / 127.0.0.1) and a client
/// certificate, as PEM text.
struct Pki {
  Issued ca;
  Issued server;
  Issued client;
  std::string ca_pem, server_cert_pem, server_key_pem, client_cert_pem, client_key_pem;

  static Pki make(const CertSpec& server_spec = {}) {
    static int ca_count = 0;
    CertSpec ca_spec;
    ca_spec.common_name = "kwire unit test CA " + std::to_string(++ca_count);
    ca_spec.ca = true;
    Pki p{issue(ca_spec), {}, {}, {}, {}, {}, {}, {}};
    p.server = issue(server_spec, &p.ca);
    CertSpec client_spec;
    client_spec.common_name = "kwire-client";
    client_spec.alt_names = {};
    p.client = issue(client_spec, &p.ca);
    p.ca_pem = to_pem(p.ca.cert.get());
    p.server_cert_pem = to_pem(p.server.cert.get());
    p.server_key_pem = to_pem(p.server.key.get());
    p.client_cert_pem = to_pem(p.client.cert.get());
    p.client_key_pem = to_pem(p.client.key.get());
    return p;
  }
};

}  // namespace kwire::test_pki
