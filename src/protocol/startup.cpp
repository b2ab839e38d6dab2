#include "protocol/startup.h"

#include <cstring>

#include "protocol/byte_order.h"
#include "protocol/sqlstate.h"

namespace pooler::protocol {

namespace {

constexpr size_t kCancelRequestLength = 16;
constexpr size_t kEncryptionRequestLength = 8;

StartupParse invalid(const char* sqlstate, std::string message) {
  StartupParse r;
  r.status = StartupParse::Status::kInvalid;
  r.error = StartupError{sqlstate, std::move(message)};
  return r;
}

StartupParse invalid_length() {
  return invalid(sqlstate::kProtocolViolation, "invalid length of startup packet");
}

// Parses the name/value pairs of a 3.x StartupMessage. `body` is the packet after the
// version word. Same walk as PostgreSQL: an empty name is the terminator, and it must be
// the last byte of the packet.
bool parse_params(std::string_view body, StartupPacket& packet) {
  size_t offset = 0;
  while (offset < body.size()) {
    size_t name_end = body.find('\0', offset);
    if (name_end == offset) break;  // terminator
    if (name_end == std::string_view::npos || name_end + 1 >= body.size()) {
      offset = body.size();  // missing value
      break;
    }
    size_t value_end = body.find('\0', name_end + 1);
    if (value_end == std::string_view::npos) {
      offset = body.size();
      break;
    }
    packet.params.emplace_back(std::string(body.substr(offset, name_end - offset)),
                               std::string(body.substr(name_end + 1, value_end - name_end - 1)));
    offset = value_end + 1;
  }
  return !body.empty() && offset == body.size() - 1;
}

}  // namespace

const std::string* StartupPacket::param(std::string_view name) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

bool StartupPacket::wants_protocol_negotiation() const {
  if (kind != Kind::kStartup) return false;
  if (minor_version() > 0) return true;
  for (const auto& [name, value] : params) {
    if (name.starts_with("_pq_.")) return true;
  }
  return false;
}

StartupParse parse_startup(const uint8_t* data, size_t len) {
  if (data == nullptr || len < 4) return StartupParse{};
  // The length word counts itself; PostgreSQL bounds what follows it.
  uint32_t length = load_be32(data);
  if (length < 8 || length - 4 > kMaxStartupPacketLength) return invalid_length();
  if (len < length) return StartupParse{};

  StartupParse r;
  r.consumed = length;
  StartupPacket& p = r.packet;
  p.version = load_be32(data + 4);

  if (p.version == kCancelRequestCode) {
    if (length != kCancelRequestLength) return invalid_length();
    p.kind = StartupPacket::Kind::kCancelRequest;
    p.cancel_pid = load_be32(data + 8);
    p.cancel_key = load_be32(data + 12);
    r.status = StartupParse::Status::kComplete;
    return r;
  }
  if (p.version == kSslRequestCode || p.version == kGssEncRequestCode) {
    // Stricter than PostgreSQL: extra bytes here would be taken from the TLS handshake
    // that follows, so refuse them.
    if (length != kEncryptionRequestLength) return invalid_length();
    p.kind = p.version == kSslRequestCode ? StartupPacket::Kind::kSslRequest
                                          : StartupPacket::Kind::kGssEncRequest;
    r.status = StartupParse::Status::kComplete;
    return r;
  }

  p.kind = StartupPacket::Kind::kStartup;
  if (p.major_version() != 3) {
    return invalid(sqlstate::kFeatureNotSupported,
                   "unsupported frontend protocol " + std::to_string(p.major_version()) + "." +
                       std::to_string(p.minor_version()) + ": server supports 3.0 to 3.0");
  }
  std::string_view body(reinterpret_cast<const char*>(data) + 8, length - 8);
  if (!parse_params(body, p)) {
    return invalid(sqlstate::kProtocolViolation,
                   "invalid startup packet layout: expected terminator as last byte");
  }
  const std::string* user = p.param("user");
  if (user == nullptr || user->empty()) {
    return invalid(sqlstate::kInvalidAuthorization,
                   "no PostgreSQL user name specified in startup packet");
  }
  std::string user_name = *user;  // copy: emplace_back below may reallocate
  bool has_database = false;
  for (auto& [name, value] : p.params) {
    if (name == "database") {
      has_database = true;
      if (value.empty()) value = user_name;
    }
  }
  if (!has_database) p.params.emplace_back("database", std::move(user_name));
  r.status = StartupParse::Status::kComplete;
  return r;
}

}  // namespace pooler::protocol
