#include "record_text.hpp"

#include <cstdio>

#include "json.hpp"

namespace kwire::cli {
namespace {

/// Length of the valid UTF-8 sequence starting at `s[i]`, 0 if invalid
/// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_length(std::span<const std::uint8_t> s, std::size_t i) {
  const std::uint8_t c = s[i];
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((s[i + k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i + k] & 0x3f);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;  // overlong
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

std::string_view as_text(const std::vector<std::uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (i + 1 < bytes.size()) v |= std::uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string json_text(std::span<const std::uint8_t> bytes) {
  std::string out = "\"";
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::size_t n = utf8_length(bytes, i);
    if (n == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", bytes[i]);
      out += buf;
      ++i;
      continue;
    }
    if (n == 1) {
      // json_escape quotes its input: take the inside.
      std::string one = json_escape(std::string_view(reinterpret_cast<const char*>(&bytes[i]), 1));
      out.append(one, 1, one.size() - 2);
    } else {
      out.append(reinterpret_cast<const char*>(&bytes[i]), n);
    }
    i += n;
  }
  out += '"';
  return out;
}

void format_record(std::string& out, std::string_view format, const std::string& topic, std::int32_t partition,
                   const protocol::Record& r) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '\\' && i + 1 < format.size()) {
      switch (format[++i]) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '\\': out += '\\'; break;
        default:
          out += '\\';
          out += format[i];
      }
      continue;
    }
    if (c != '%' || i + 1 >= format.size()) {
      out += c;
      continue;
    }
    switch (format[++i]) {
      case 's':
        if (r.value) out += as_text(*r.value);
        break;
      case 'S': out += r.value ? std::to_string(r.value->size()) : "-1"; break;
      case 'k':
        if (r.key) out += as_text(*r.key);
        break;
      case 'K': out += r.key ? std::to_string(r.key->size()) : "-1"; break;
      case 't': out += topic; break;
      case 'p': out += std::to_string(partition); break;
      case 'o': out += std::to_string(r.offset); break;
      case 'T': out += std::to_string(r.timestamp); break;
      case 'h':
        for (std::size_t h = 0; h < r.headers.size(); ++h) {
          if (h) out += ',';
          out += r.headers[h].key;
          out += '=';
          if (r.headers[h].value) out += as_text(*r.headers[h].value);
        }
        break;
      case '%': out += '%'; break;
      default:
        out += '%';
        out += format[i];
    }
  }
}

}  // namespace kwire::cli
