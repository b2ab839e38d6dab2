#include "admin/result_set.h"

namespace pooler::admin {

ResultSet::ResultSet(std::string& out, const std::vector<Column>& columns)
    : out_(out), columns_(columns.size()) {
  std::vector<protocol::Column> cols;
  for (const Column& c : columns) {
    protocol::Column pc{};
    pc.name = c.name;
    pc.type_oid = static_cast<uint32_t>(c.type);
    pc.type_len = c.type == Type::kText ? -1 : (c.type == Type::kInt8 ? 8 : 4);
    cols.push_back(pc);
  }
  protocol::append_row_description(out_, cols);
}

ResultSet& ResultSet::add(std::string value) {
  row_.emplace_back(std::move(value));
  return *this;
}

ResultSet& ResultSet::add_null() {
  row_.emplace_back(std::nullopt);
  return *this;
}

void ResultSet::end_row() {
  row_.resize(columns_);
  std::vector<std::optional<std::string_view>> views;
  views.reserve(row_.size());
  for (const auto& v : row_) {
    views.push_back(v ? std::optional<std::string_view>(*v) : std::nullopt);
  }
  protocol::append_data_row(out_, views);
  row_.clear();
  ++rows_;
}

void ResultSet::finish(std::string_view tag) {
  std::string t(tag);
  if (t == "SELECT") t.append(" ").append(std::to_string(rows_));  // (GCC 12 -O3: -Wrestrict)
  protocol::append_command_complete(out_, t);
}

}  // namespace pooler::admin
