#pragma once
// Parsers of message bodies (the bytes after the 5-byte header) that the pooler needs to
// look into. Views point into `body`. Malformed input gives nullopt; nothing reads past the
// end of `body`.
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace pooler::protocol {

// ErrorResponse 'E' / NoticeResponse 'N'. Absent fields are empty.
struct ErrorFields {
  std::string_view severity;  // V (non-localized) if present, else S
  std::string_view sqlstate, message, detail, hint;
};
std::optional<ErrorFields> parse_error_fields(std::string_view body);

// ParameterStatus 'S': name and value.
std::optional<std::pair<std::string_view, std::string_view>> parse_parameter_status(
    std::string_view body);

// Authentication 'R'. Codes: 0 ok, 3 cleartext, 5 md5 (payload = 4 salt bytes), 10 SASL
// (payload = mechanism list), 11 SASL continue, 12 SASL final; others are passed through.
struct AuthRequest {
  int32_t code;
  std::string_view payload;
};
std::optional<AuthRequest> parse_authentication(std::string_view body);
// The mechanism list of AuthenticationSASL; at least one name.
std::optional<std::vector<std::string_view>> parse_sasl_mechanisms(std::string_view payload);

// BackendKeyData 'K' (protocol 3.0: 4-byte key): pid, key.
std::optional<std::pair<uint32_t, uint32_t>> parse_backend_key_data(std::string_view body);

// A body that is exactly one NUL-terminated string: Query 'Q', PasswordMessage 'p'
// (cleartext or md5).
std::optional<std::string_view> parse_cstring_body(std::string_view body);

// SASLInitialResponse 'p': mechanism, int32 data length (-1 = no data), data.
struct SaslInitialResponse {
  std::string_view mechanism;
  std::string_view data;
  bool has_data = true;  // false when the length was -1
};
std::optional<SaslInitialResponse> parse_sasl_initial_response(std::string_view body);

// CommandComplete 'C': the command tag.
std::optional<std::string_view> parse_command_complete(std::string_view body);

// DataRow 'D': the column values, nullopt for SQL NULL; exactly the body's bytes.
std::optional<std::vector<std::optional<std::string_view>>> parse_data_row(std::string_view body);

// ReadyForQuery 'Z': transaction status 'I', 'T' or 'E'.
std::optional<char> parse_ready_for_query(std::string_view body);

}  // namespace pooler::protocol
