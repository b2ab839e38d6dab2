#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message_builder.h"

namespace pooler::admin {

// Builds RowDescription, DataRows and CommandComplete for one SHOW result.
class ResultSet {
 public:
  enum class Type : uint32_t { kText = 25, kInt8 = 20, kInt4 = 23 };
  struct Column {
    const char* name;
    Type type;
  };
  ResultSet(std::string& out, std::initializer_list<Column> columns)
      : ResultSet(out, std::vector<Column>(columns)) {}
  ResultSet(std::string& out, const std::vector<Column>& columns);
  ResultSet& add(std::string value);
  ResultSet& add(int64_t value) { return add(std::to_string(value)); }
  ResultSet& add_null();
  void end_row();
  void finish(std::string_view tag = "SHOW");

 private:
  std::string& out_;
  size_t columns_;
  std::vector<std::optional<std::string>> row_;
  size_t rows_ = 0;
};

}  // namespace pooler::admin
