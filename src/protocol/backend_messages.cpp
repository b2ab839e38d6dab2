#include "protocol/backend_messages.h"

#include "protocol/byte_order.h"

namespace pooler::protocol {

namespace {

// Reads bytes from a body, failing (never reading past the end) on truncation.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool empty() const { return pos_ == s_.size(); }
  size_t remaining() const { return s_.size() - pos_; }

  std::optional<std::string_view> cstr() {
    size_t end = s_.find('\0', pos_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view v = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return v;
  }

  std::optional<uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return uint8_t(s_[pos_++]);
  }

  std::optional<uint32_t> u32() {
    if (remaining() < 4) return std::nullopt;
    uint32_t v = load_be32(reinterpret_cast<const uint8_t*>(s_.data()) + pos_);
    pos_ += 4;
    return v;
  }

  std::string_view rest() {
    std::string_view v = s_.substr(pos_);
    pos_ = s_.size();
    return v;
  }

  std::optional<std::string_view> take(size_t n) {
    if (remaining() < n) return std::nullopt;
    std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<ErrorFields> parse_error_fields(std::string_view body) {
  Reader r(body);
  ErrorFields f;
  std::string_view s_severity, v_severity;
  for (;;) {
    auto code = r.u8();
    if (!code) return std::nullopt;  // missing terminator
    if (*code == 0) break;
    auto value = r.cstr();
    if (!value) return std::nullopt;
    switch (*code) {
      case 'S':
        s_severity = *value;
        break;
      case 'V':
        v_severity = *value;
        break;
      case 'C':
        f.sqlstate = *value;
        break;
      case 'M':
        f.message = *value;
        break;
      case 'D':
        f.detail = *value;
        break;
      case 'H':
        f.hint = *value;
        break;
      default:
        break;  // other fields are allowed and ignored
    }
  }
  if (!r.empty()) return std::nullopt;
  f.severity = v_severity.empty() ? s_severity : v_severity;
  return f;
}

std::optional<std::pair<std::string_view, std::string_view>> parse_parameter_status(
    std::string_view body) {
  Reader r(body);
  auto name = r.cstr();
  if (!name) return std::nullopt;
  auto value = r.cstr();
  if (!value || !r.empty()) return std::nullopt;
  return std::pair{*name, *value};
}

std::optional<AuthRequest> parse_authentication(std::string_view body) {
  Reader r(body);
  auto code = r.u32();
  if (!code) return std::nullopt;
  AuthRequest req{int32_t(*code), r.rest()};
  switch (req.code) {
    case 0:
    case 3:
      if (!req.payload.empty()) return std::nullopt;
      break;
    case 5:
      if (req.payload.size() != 4) return std::nullopt;
      break;
    case 10:
      if (req.payload.empty()) return std::nullopt;
      break;
    default:
      break;
  }
  return req;
}

std::optional<std::vector<std::string_view>> parse_sasl_mechanisms(std::string_view payload) {
  Reader r(payload);
  std::vector<std::string_view> mechanisms;
  for (;;) {
    auto name = r.cstr();
    if (!name) return std::nullopt;
    if (name->empty()) break;
    mechanisms.push_back(*name);
  }
  if (!r.empty() || mechanisms.empty()) return std::nullopt;
  return mechanisms;
}

std::optional<std::pair<uint32_t, uint32_t>> parse_backend_key_data(std::string_view body) {
  if (body.size() != 8) return std::nullopt;
  Reader r(body);
  uint32_t pid = *r.u32();
  uint32_t key = *r.u32();
  return std::pair{pid, key};
}

std::optional<std::string_view> parse_cstring_body(std::string_view body) {
  Reader r(body);
  auto s = r.cstr();
  if (!s || !r.empty()) return std::nullopt;
  return s;
}

std::optional<SaslInitialResponse> parse_sasl_initial_response(std::string_view body) {
  Reader r(body);
  SaslInitialResponse resp;
  auto mechanism = r.cstr();
  if (!mechanism) return std::nullopt;
  resp.mechanism = *mechanism;
  auto length = r.u32();
  if (!length) return std::nullopt;
  if (int32_t(*length) == -1) {
    resp.has_data = false;
  } else {
    if (int32_t(*length) < 0) return std::nullopt;
    auto data = r.take(*length);
    if (!data) return std::nullopt;
    resp.data = *data;
  }
  if (!r.empty()) return std::nullopt;
  return resp;
}

std::optional<std::string_view> parse_command_complete(std::string_view body) {
  return parse_cstring_body(body);
}

std::optional<std::vector<std::optional<std::string_view>>> parse_data_row(std::string_view body) {
  if (body.size() < 2) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(body.data());
  const size_t n = load_be16(p);
  size_t pos = 2;
  std::vector<std::optional<std::string_view>> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (body.size() - pos < 4) return std::nullopt;
    const int32_t len = static_cast<int32_t>(load_be32(p + pos));
    pos += 4;
    if (len < 0) {
      out.emplace_back(std::nullopt);
      continue;
    }
    if (body.size() - pos < static_cast<size_t>(len)) return std::nullopt;
    out.emplace_back(body.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len);
  }
  if (pos != body.size()) return std::nullopt;
  return out;
}

std::optional<char> parse_ready_for_query(std::string_view body) {
  if (body.size() != 1) return std::nullopt;
  char status = body[0];
  if (status != 'I' && status != 'T' && status != 'E') return std::nullopt;
  return status;
}

}  // namespace pooler::protocol
