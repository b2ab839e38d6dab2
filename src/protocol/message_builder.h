#pragma once
// Builders for messages the pooler generates itself (errors, auth requests, admin console
// results, its own startup as a client). Not on the forwarding hot path.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace pooler::protocol {

// Appends one complete message to `out`: type byte (none when type == 0, for startup-phase
// packets), a length placeholder, then the fields; finish() patches the length.
class MessageBuilder {
 public:
  explicit MessageBuilder(std::string& out, char type);
  ~MessageBuilder();
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;

  MessageBuilder& int8(uint8_t v);
  MessageBuilder& int16(uint16_t v);
  MessageBuilder& int32(uint32_t v);
  // A NUL-terminated string. Stops at an embedded NUL so the message stays well-formed.
  MessageBuilder& cstr(std::string_view s);
  MessageBuilder& bytes(std::string_view s);
  void finish();  // patches the length; also called by the destructor if not yet

 private:
  std::string& out_;
  size_t length_at_;  // offset of the length word in out_
  bool finished_ = false;
};

// ErrorResponse 'E' with fields S, V (both = severity), C, M, then D and H when non-empty.
void append_error_response(std::string& out, std::string_view severity, std::string_view sqlstate,
                           std::string_view message, std::string_view detail = {},
                           std::string_view hint = {});
// NoticeResponse 'N' with severity NOTICE.
void append_notice_response(std::string& out, std::string_view sqlstate, std::string_view message);

void append_auth_ok(std::string& out);
void append_auth_cleartext(std::string& out);
void append_auth_md5(std::string& out, const uint8_t salt[4]);
void append_auth_sasl(std::string& out, std::string_view mechanism);  // e.g. "SCRAM-SHA-256"
void append_auth_sasl_continue(std::string& out, std::string_view data);
void append_auth_sasl_final(std::string& out, std::string_view data);
void append_parameter_status(std::string& out, std::string_view name, std::string_view value);
void append_backend_key_data(std::string& out, uint32_t pid, uint32_t key);
void append_ready_for_query(std::string& out, char status);  // 'I', 'T' or 'E'
// NegotiateProtocolVersion 'v': newest supported minor and the unrecognized "_pq_." options.
void append_negotiate_protocol_version(std::string& out, uint32_t newest_minor,
                                       std::span<const std::string_view> unrecognized_options);

struct Column {
  std::string_view name;
  uint32_t type_oid;
  int16_t type_len = -1;
};
// RowDescription 'T'; every column in text format, no table, typmod -1.
void append_row_description(std::string& out, std::span<const Column> columns);
// DataRow 'D'; nullopt is SQL NULL.
void append_data_row(std::string& out, std::span<const std::optional<std::string_view>> values);
void append_command_complete(std::string& out, std::string_view tag);
void append_empty_query_response(std::string& out);

// Frontend messages, for the pooler's own connections to servers.
void append_query(std::string& out, std::string_view sql);
// StartupMessage, protocol 3.0.
void append_startup_message(std::string& out,
                            std::span<const std::pair<std::string, std::string>> params);
// SSLRequest: length 8 and the request code, no type byte.
void append_ssl_request(std::string& out);
void append_password_message(std::string& out, std::string_view password);
void append_sasl_initial_response(std::string& out, std::string_view mechanism,
                                  std::string_view data);
void append_sasl_response(std::string& out, std::string_view data);
void append_cancel_request(std::string& out, uint32_t pid, uint32_t key);
void append_terminate(std::string& out);
void append_sync(std::string& out);
// One statement with text parameters through the extended protocol, unnamed statement and
// portal: Parse, Bind, Execute, Sync. The parameters never pass through the SQL text.
void append_parameterized_query(std::string& out, std::string_view sql,
                                std::span<const std::string_view> params);

}  // namespace pooler::protocol
