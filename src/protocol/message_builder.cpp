#include "protocol/message_builder.h"

#include "protocol/byte_order.h"
#include "protocol/frame.h"

namespace pooler::protocol {

namespace {

// Authentication request codes ('R' messages).
constexpr uint32_t kAuthOk = 0;
constexpr uint32_t kAuthCleartext = 3;
constexpr uint32_t kAuthMd5 = 5;
constexpr uint32_t kAuthSasl = 10;
constexpr uint32_t kAuthSaslContinue = 11;
constexpr uint32_t kAuthSaslFinal = 12;

}  // namespace

MessageBuilder::MessageBuilder(std::string& out, char type) : out_(out) {
  if (type != 0) out_.push_back(type);
  length_at_ = out_.size();
  out_.append(4, '\0');
}

MessageBuilder::~MessageBuilder() {
  if (!finished_) finish();
}

MessageBuilder& MessageBuilder::int8(uint8_t v) {
  out_.push_back(char(v));
  return *this;
}

MessageBuilder& MessageBuilder::int16(uint16_t v) {
  append_be16(out_, v);
  return *this;
}

MessageBuilder& MessageBuilder::int32(uint32_t v) {
  append_be32(out_, v);
  return *this;
}

MessageBuilder& MessageBuilder::cstr(std::string_view s) {
  out_.append(s.substr(0, s.find('\0')));
  out_.push_back('\0');
  return *this;
}

MessageBuilder& MessageBuilder::bytes(std::string_view s) {
  out_.append(s);
  return *this;
}

void MessageBuilder::finish() {
  if (finished_) return;
  finished_ = true;
  store_be32(out_.data() + length_at_, uint32_t(out_.size() - length_at_));
}

void append_error_response(std::string& out, std::string_view severity, std::string_view sqlstate,
                           std::string_view message, std::string_view detail,
                           std::string_view hint) {
  MessageBuilder b(out, 'E');
  b.int8('S').cstr(severity).int8('V').cstr(severity);
  b.int8('C').cstr(sqlstate).int8('M').cstr(message);
  if (!detail.empty()) b.int8('D').cstr(detail);
  if (!hint.empty()) b.int8('H').cstr(hint);
  b.int8(0);
}

void append_notice_response(std::string& out, std::string_view sqlstate, std::string_view message) {
  MessageBuilder b(out, 'N');
  b.int8('S').cstr("NOTICE").int8('V').cstr("NOTICE");
  b.int8('C').cstr(sqlstate).int8('M').cstr(message).int8(0);
}

void append_auth_ok(std::string& out) {
  MessageBuilder(out, 'R').int32(kAuthOk);
}

void append_auth_cleartext(std::string& out) {
  MessageBuilder(out, 'R').int32(kAuthCleartext);
}

void append_auth_md5(std::string& out, const uint8_t salt[4]) {
  MessageBuilder(out, 'R').int32(kAuthMd5).bytes(
      std::string_view(reinterpret_cast<const char*>(salt), 4));
}

void append_auth_sasl(std::string& out, std::string_view mechanism) {
  MessageBuilder(out, 'R').int32(kAuthSasl).cstr(mechanism).int8(0);
}

void append_auth_sasl_continue(std::string& out, std::string_view data) {
  MessageBuilder(out, 'R').int32(kAuthSaslContinue).bytes(data);
}

void append_auth_sasl_final(std::string& out, std::string_view data) {
  MessageBuilder(out, 'R').int32(kAuthSaslFinal).bytes(data);
}

void append_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  MessageBuilder(out, 'S').cstr(name).cstr(value);
}

void append_backend_key_data(std::string& out, uint32_t pid, uint32_t key) {
  MessageBuilder(out, 'K').int32(pid).int32(key);
}

void append_ready_for_query(std::string& out, char status) {
  MessageBuilder(out, 'Z').int8(uint8_t(status));
}

void append_negotiate_protocol_version(std::string& out, uint32_t newest_minor,
                                       std::span<const std::string_view> unrecognized_options) {
  MessageBuilder b(out, 'v');
  b.int32((3u << 16) | newest_minor).int32(uint32_t(unrecognized_options.size()));
  for (std::string_view name : unrecognized_options) b.cstr(name);
}

void append_row_description(std::string& out, std::span<const Column> columns) {
  MessageBuilder b(out, 'T');
  b.int16(uint16_t(columns.size()));
  for (const Column& c : columns) {
    b.cstr(c.name);
    b.int32(0);  // table oid
    b.int16(0);  // attribute number
    b.int32(c.type_oid);
    b.int16(uint16_t(c.type_len));
    b.int32(uint32_t(-1));  // typmod
    b.int16(0);             // text format
  }
}

void append_data_row(std::string& out, std::span<const std::optional<std::string_view>> values) {
  MessageBuilder b(out, 'D');
  b.int16(uint16_t(values.size()));
  for (const auto& v : values) {
    if (!v) {
      b.int32(uint32_t(-1));
    } else {
      b.int32(uint32_t(v->size())).bytes(*v);
    }
  }
}

void append_command_complete(std::string& out, std::string_view tag) {
  MessageBuilder(out, 'C').cstr(tag);
}

void append_empty_query_response(std::string& out) {
  MessageBuilder(out, 'I');
}

void append_query(std::string& out, std::string_view sql) {
  MessageBuilder(out, 'Q').cstr(sql);
}

void append_startup_message(std::string& out,
                            std::span<const std::pair<std::string, std::string>> params) {
  MessageBuilder b(out, 0);
  b.int32(kProtocolV3);
  for (const auto& [name, value] : params) b.cstr(name).cstr(value);
  b.int8(0);
}

void append_ssl_request(std::string& out) {
  MessageBuilder(out, 0).int32(kSslRequestCode);
}

void append_password_message(std::string& out, std::string_view password) {
  MessageBuilder(out, 'p').cstr(password);
}

void append_sasl_initial_response(std::string& out, std::string_view mechanism,
                                  std::string_view data) {
  MessageBuilder(out, 'p').cstr(mechanism).int32(uint32_t(data.size())).bytes(data);
}

void append_sasl_response(std::string& out, std::string_view data) {
  MessageBuilder(out, 'p').bytes(data);
}

void append_cancel_request(std::string& out, uint32_t pid, uint32_t key) {
  MessageBuilder(out, 0).int32(kCancelRequestCode).int32(pid).int32(key);
}

void append_terminate(std::string& out) {
  MessageBuilder(out, 'X');
}

void append_sync(std::string& out) {
  MessageBuilder(out, 'S');
}

void append_parameterized_query(std::string& out, std::string_view sql,
                                std::span<const std::string_view> params) {
  MessageBuilder(out, 'P').cstr("").cstr(sql).int16(0);  // no types: the server infers them
  {
    MessageBuilder b(out, 'B');
    b.cstr("").cstr("").int16(0);  // portal, statement, all parameters in text format
    b.int16(uint16_t(params.size()));
    for (std::string_view p : params) b.int32(uint32_t(p.size())).bytes(p);
    b.int16(0);  // all results in text format
  }
  MessageBuilder(out, 'E').cstr("").int32(0);  // every row
  append_sync(out);
}

}  // namespace pooler::protocol
