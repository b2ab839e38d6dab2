#include "pool/prepared_statements.h"

#include <cstdio>

namespace pooler::pool {

namespace {
// FNV-1a: stable across processes and builds, unlike std::hash, so a successor process
// names a statement the way its predecessor did.
uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}
}  // namespace

std::string server_statement_name(uint64_t id) {
  char buf[32];
  snprintf(buf, sizeof buf, "pooler_%016llx", static_cast<unsigned long long>(id));
  return buf;
}

StatementRef StatementRegistry::intern(std::string_view definition) {
  uint64_t id = fnv1a(definition);
  for (;; ++id) {  // a different text with the same hash takes the next free id
    auto it = by_id_.find(id);
    if (it == by_id_.end()) break;
    if (StatementRef live = it->second.lock()) {
      if (live->definition == definition) return live;
      continue;
    }
    by_id_.erase(it);
    break;
  }
  if (by_id_.size() >= sweep_at_) sweep();
  auto statement = std::make_shared<PreparedStatement>();
  statement->id = id;
  statement->definition.assign(definition);
  statement->server_name = server_statement_name(id);
  by_id_.emplace(id, statement);
  return statement;
}

void StatementRegistry::sweep() {
  std::erase_if(by_id_, [](const auto& entry) { return entry.second.expired(); });
  sweep_at_ = std::max<size_t>(1024, by_id_.size() * 2);
}

const StatementRef* ClientStatements::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

void ClientStatements::add(std::string_view name, StatementRef statement) {
  by_name_.insert_or_assign(std::string(name), std::move(statement));
}

void ClientStatements::erase(std::string_view name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) by_name_.erase(it);
}

namespace {
constexpr std::string_view kValuePrefix = "stmt:";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

void statements_to_values(const ClientStatements& statements,
                          std::map<std::string, std::string>& values) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const auto& [name, statement] : statements.all()) {
    std::string hex;
    hex.reserve(statement->definition.size() * 2);
    for (unsigned char c : statement->definition) {
      hex.push_back(kHex[c >> 4]);
      hex.push_back(kHex[c & 15]);
    }
    values[std::string(kValuePrefix) + name] = std::move(hex);
  }
}

bool has_statement_values(const std::map<std::string, std::string>& values) {
  auto it = values.lower_bound(std::string(kValuePrefix));
  return it != values.end() && it->first.starts_with(kValuePrefix);
}

bool statements_from_values(const std::map<std::string, std::string>& values,
                            StatementRegistry& registry, ClientStatements& statements) {
  bool ok = true;
  for (auto it = values.lower_bound(std::string(kValuePrefix));
       it != values.end() && it->first.starts_with(kValuePrefix); ++it) {
    const std::string& hex = it->second;
    std::string definition;
    bool valid = hex.size() % 2 == 0 && it->first.size() > kValuePrefix.size();
    for (size_t i = 0; valid && i < hex.size(); i += 2) {
      const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
      valid = hi >= 0 && lo >= 0;
      definition.push_back(static_cast<char>(hi * 16 + lo));
    }
    if (!valid) {
      ok = false;
      continue;
    }
    statements.add(std::string_view(it->first).substr(kValuePrefix.size()),
                   registry.intern(definition));
  }
  return ok;
}

bool ServerStatements::touch(uint64_t id) {
  auto it = last_use_.find(id);
  if (it == last_use_.end()) return false;
  it->second = ++tick_;
  return true;
}

std::optional<uint64_t> ServerStatements::insert(uint64_t id, size_t capacity) {
  last_use_[id] = ++tick_;
  if (last_use_.size() <= capacity || last_use_.size() < 2) return std::nullopt;
  auto oldest = last_use_.end();
  for (auto it = last_use_.begin(); it != last_use_.end(); ++it) {
    if (it->first != id && (oldest == last_use_.end() || it->second < oldest->second)) oldest = it;
  }
  const uint64_t evicted = oldest->first;
  last_use_.erase(oldest);
  return evicted;
}

}  // namespace pooler::pool
