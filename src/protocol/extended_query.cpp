#include "protocol/extended_query.h"

#include <cstring>

#include "protocol/byte_order.h"
#include "protocol/frame.h"

namespace pooler::protocol {

namespace {
// The NUL-terminated string at `offset`, within both what is buffered and the message.
StatementRef cstring_at(std::string_view message, size_t message_size, size_t offset) {
  StatementRef ref;
  ref.name_offset = offset;
  const size_t limit = std::min(message.size(), message_size);
  if (offset >= limit) {
    ref.status =
        offset >= message_size ? StatementRef::Status::kInvalid : StatementRef::Status::kIncomplete;
    return ref;
  }
  const void* nul = std::memchr(message.data() + offset, '\0', limit - offset);
  if (!nul) {
    ref.status =
        limit == message_size ? StatementRef::Status::kInvalid : StatementRef::Status::kIncomplete;
    return ref;
  }
  ref.name = message.substr(offset, static_cast<const char*>(nul) - (message.data() + offset));
  ref.status = ref.name.empty() ? StatementRef::Status::kUnnamed : StatementRef::Status::kNamed;
  return ref;
}
}  // namespace

StatementRef statement_ref(std::string_view message, size_t message_size) noexcept {
  StatementRef ref;
  if (message.size() < kFrameHeaderSize) return ref;
  const size_t body = kFrameHeaderSize;
  switch (message[0]) {
    case 'P':
      return cstring_at(message, message_size, body);
    case 'B': {
      StatementRef portal = cstring_at(message, message_size, body);
      if (portal.status == StatementRef::Status::kIncomplete ||
          portal.status == StatementRef::Status::kInvalid) {
        return portal;
      }
      return cstring_at(message, message_size, body + portal.name.size() + 1);
    }
    case 'D':
    case 'C': {
      if (message_size <= body) {
        ref.status = StatementRef::Status::kInvalid;
        return ref;
      }
      if (message.size() <= body) return ref;  // kIncomplete
      if (message[body] != 'S') {
        ref.status = StatementRef::Status::kUnnamed;
        return ref;
      }
      return cstring_at(message, message_size, body + 1);
    }
    default:
      ref.status = StatementRef::Status::kUnnamed;
      return ref;
  }
}

std::string_view parse_definition(std::string_view message, const StatementRef& ref) noexcept {
  const size_t start = ref.name_offset + ref.name.size() + 1;
  return start <= message.size() ? message.substr(start) : std::string_view();
}

void append_parse(std::string& out, std::string_view name, std::string_view definition) {
  out.push_back('P');
  append_be32(out, static_cast<uint32_t>(4 + name.size() + 1 + definition.size()));
  out.append(name);
  out.push_back('\0');
  out.append(definition);
}

void append_close_statement(std::string& out, std::string_view name) {
  out.push_back('C');
  append_be32(out, static_cast<uint32_t>(4 + 1 + name.size() + 1));
  out.push_back('S');
  out.append(name);
  out.push_back('\0');
}

}  // namespace pooler::protocol
