// A libpq connection for tests: RAII, simple-query helpers that return rows by column name, and
// the SQLSTATE of failed logins and queries.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pooler_test {

// The result of a query: column names and text values (NULL reads as "").
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  size_t size() const { return rows.size(); }
  // The value of `column` in row `row`; throws std::out_of_range for an unknown column.
  const std::string& at(size_t row, std::string_view column) const;
  // The first column of the first row; throws if there is none.
  const std::string& scalar() const;
  // Indexes of the rows whose `column` equals `value`.
  std::vector<size_t> where(std::string_view column, std::string_view value) const;
  // The single row whose `column` equals `value`; throws unless exactly one matches.
  size_t only(std::string_view column, std::string_view value) const;
};

class PqError : public std::runtime_error {
 public:
  PqError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

class PqClient {
 public:
  // Connects (30 s deadline). Never throws: check ok(), connect_error(), connect_sqlstate().
  // sslmode and gssencmode default to disable, so that each login is exactly one attempt;
  // a conninfo that names sslmode wins.
  static PqClient connect(const std::string& conninfo);

  PqClient(PqClient&& other) noexcept;
  PqClient& operator=(PqClient&& other) noexcept;
  PqClient(const PqClient&) = delete;
  PqClient& operator=(const PqClient&) = delete;
  ~PqClient();

  bool ok() const;
  // For a failed login: the message (without libpq's "connection to server ... failed:" prefix)
  // and the server's SQLSTATE ("" when the failure carried none).
  const std::string& connect_error() const { return connect_error_; }
  const std::string& connect_sqlstate() const { return connect_sqlstate_; }

  // Runs one simple query; throws PqError when it fails.
  Rows exec(const std::string& sql);
  // Runs one simple query expected to fail and returns its SQLSTATE: "" when the error carries
  // none (e.g. the connection was lost), "no error" when the query succeeded.
  std::string expect_error(const std::string& sql);
  // The message of the last error seen by expect_error.
  const std::string& last_error() const { return last_error_; }

  // Protocol-level prepared statements (Parse, then Bind/Execute), as drivers use them.
  // prepare returns the SQLSTATE of its failure, "" on success; exec_prepared returns the
  // first cell and throws PqError when it fails.
  std::string prepare(const std::string& name, const std::string& sql);
  std::string exec_prepared(const std::string& name, const std::vector<std::string>& params = {});

  // The first cell of `sql`'s result.
  std::string value(const std::string& sql) { return exec(sql).scalar(); }

  PGconn* raw() const { return conn_; }

 private:
  explicit PqClient(PGconn* conn) : conn_(conn) {}

  PGconn* conn_ = nullptr;
  std::string connect_error_;
  std::string connect_sqlstate_;
  std::string last_error_;
};

// The SQLSTATE of a result ("" if none).
std::string sqlstate_of(const PGresult* result);

}  // namespace pooler_test
