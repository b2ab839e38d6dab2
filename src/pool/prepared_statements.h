#pragma once
// Prepared statements in transaction pooling: a client's named statements live on whichever
// server it is given, so pooler keeps each client's names, gives every distinct statement
// one server-side name, and prepares it on a server the first time that server needs it.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pooler::pool {

// One distinct statement: its Parse definition (query text, parameter types) and the name
// it has on servers, derived from the text so two processes agree on it.
struct PreparedStatement {
  uint64_t id = 0;
  std::string definition;
  std::string server_name;  // "pooler_" and 16 hex digits of id
};
using StatementRef = std::shared_ptr<const PreparedStatement>;

// All statements clients hold, once each, pooler-wide. A statement lives while a client
// names it.
class StatementRegistry {
 public:
  StatementRef intern(std::string_view definition);
  size_t size() const { return by_id_.size(); }

 private:
  void sweep();
  std::unordered_map<uint64_t, std::weak_ptr<const PreparedStatement>> by_id_;
  size_t sweep_at_ = 1024;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// One client's names.
class ClientStatements {
 public:
  const StatementRef* find(std::string_view name) const;
  void add(std::string_view name, StatementRef statement);
  void erase(std::string_view name);
  bool empty() const { return by_name_.empty(); }
  size_t size() const { return by_name_.size(); }
  const auto& all() const { return by_name_; }

 private:
  std::unordered_map<std::string, StatementRef, StringHash, std::equal_to<>> by_name_;
};

// The statements one server has prepared, by id, least recently used first out.
class ServerStatements {
 public:
  // True if prepared; marks it used.
  bool touch(uint64_t id);
  // Records `id` as prepared. When that makes more than `capacity`, returns the least
  // recently used other id, which the caller closes on the server (and which is forgotten).
  std::optional<uint64_t> insert(uint64_t id, size_t capacity);
  void erase(uint64_t id) { last_use_.erase(id); }
  void clear() { last_use_.clear(); }
  size_t size() const { return last_use_.size(); }

 private:
  std::unordered_map<uint64_t, uint64_t> last_use_;
  uint64_t tick_ = 0;
};

std::string server_statement_name(uint64_t id);

// A client's statements for its successor process (takeover, restart): "stmt:<name>" ->
// the definition in hex, beside the other per-client values.
void statements_to_values(const ClientStatements& statements,
                          std::map<std::string, std::string>& values);
// Whether `values` holds any "stmt:" value, so a client without statements gets no map.
bool has_statement_values(const std::map<std::string, std::string>& values);
// Takes the "stmt:" values; false if one is malformed (the rest are still taken).
bool statements_from_values(const std::map<std::string, std::string>& values,
                            StatementRegistry& registry, ClientStatements& statements);

}  // namespace pooler::pool
