#pragma once
// The statement names inside the extended-query messages a client sends (Parse, Bind,
// Describe, Close), for prepared-statement tracking in transaction pooling. Pure: reads
// only the bytes given, never past them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pooler::protocol {

// Where a message names a prepared statement. Offsets count from the type byte.
struct StatementRef {
  enum class Status : uint8_t {
    kIncomplete,  // the name is not all buffered yet
    kUnnamed,     // the unnamed statement, or a portal: nothing to track
    kNamed,
    kInvalid,  // the name runs past the end of the message
  };
  Status status = Status::kIncomplete;
  size_t name_offset = 0;
  std::string_view name;  // without its NUL
};

// `message` holds the first bytes of one client message (at least the 5-byte header);
// `message_size` is its whole size. Parse: the first field. Bind: the second (after the
// portal). Describe and Close: the name after 'S'; for 'P' (a portal) kUnnamed.
// Any other type: kUnnamed.
StatementRef statement_ref(std::string_view message, size_t message_size) noexcept;

// What follows the name in a complete Parse message: query text, its NUL, the parameter
// count and types. Identical text and types make the same statement.
std::string_view parse_definition(std::string_view message, const StatementRef& ref) noexcept;

// Frontend messages pooler adds to a client's stream.
void append_parse(std::string& out, std::string_view name, std::string_view definition);
void append_close_statement(std::string& out, std::string_view name);

}  // namespace pooler::protocol
