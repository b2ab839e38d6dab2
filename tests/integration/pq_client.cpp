#include "pq_client.h"

#include <poll.h>

#include <chrono>
#include <memory>
#include <regex>
#include <utility>

namespace pooler_test {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Rows to_rows(const PGresult* result) {
  Rows rows;
  const int nfields = PQnfields(result);
  for (int c = 0; c < nfields; ++c) rows.columns.emplace_back(PQfname(result, c));
  for (int r = 0; r < PQntuples(result); ++r) {
    std::vector<std::string>& row = rows.rows.emplace_back();
    for (int c = 0; c < nfields; ++c) {
      row.emplace_back(PQgetisnull(result, r, c) ? "" : PQgetvalue(result, r, c));
    }
  }
  return rows;
}

}  // namespace

const std::string& Rows::at(size_t row, std::string_view column) const {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == column) return rows.at(row).at(c);
  }
  throw std::out_of_range("no column " + std::string(column));
}

const std::string& Rows::scalar() const {
  if (rows.empty() || rows[0].empty()) throw std::out_of_range("query returned no value");
  return rows[0][0];
}

std::vector<size_t> Rows::where(std::string_view column, std::string_view value) const {
  std::vector<size_t> found;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (at(r, column) == value) found.push_back(r);
  }
  return found;
}

size_t Rows::only(std::string_view column, std::string_view value) const {
  std::vector<size_t> found = where(column, value);
  if (found.size() != 1) {
    throw std::out_of_range(std::to_string(found.size()) + " rows with " + std::string(column) +
                            " = " + std::string(value));
  }
  return found[0];
}

std::string sqlstate_of(const PGresult* result) {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state == nullptr ? "" : state;
}

PqClient PqClient::connect(const std::string& conninfo) {
  PqClient client(PQconnectStart(
      ("sslmode=disable gssencmode=disable connect_timeout=30 " + conninfo).c_str()));
  if (client.conn_ == nullptr) {
    client.connect_error_ = "out of memory";
    return client;
  }
  // Verbose errors put the SQLSTATE into the login failure text, which is all libpq exposes of a
  // failed connection: "FATAL:  28P01: password authentication failed ...".
  PQsetErrorVerbosity(client.conn_, PQERRORS_VERBOSE);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (PQstatus(client.conn_) != CONNECTION_BAD && status != PGRES_POLLING_OK &&
         status != PGRES_POLLING_FAILED) {
    if (std::chrono::steady_clock::now() > deadline) {
      client.connect_error_ = "timed out connecting";
      PQfinish(std::exchange(client.conn_, nullptr));
      client.conn_ = nullptr;
      return client;
    }
    pollfd pfd{PQsocket(client.conn_),
               static_cast<short>(status == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (poll(&pfd, 1, 200) < 0) continue;
    status = PQconnectPoll(client.conn_);
  }
  if (PQstatus(client.conn_) != CONNECTION_OK) {
    std::string text = PQerrorMessage(client.conn_);
    static const std::regex kServerError(R"((FATAL|ERROR|PANIC):  ([0-9A-Z]{5}): ([^\n]*))");
    std::smatch m;
    if (std::regex_search(text, m, kServerError)) {
      client.connect_sqlstate_ = m[2];
      client.connect_error_ = m[3];
    } else {
      client.connect_error_ = trim(text);
    }
    if (client.connect_error_.empty()) client.connect_error_ = "connection failed";
  }
  PQsetErrorVerbosity(client.conn_, PQERRORS_DEFAULT);
  return client;
}

PqClient::PqClient(PqClient&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      connect_error_(std::move(other.connect_error_)),
      connect_sqlstate_(std::move(other.connect_sqlstate_)),
      last_error_(std::move(other.last_error_)) {}

PqClient& PqClient::operator=(PqClient&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    connect_error_ = std::move(other.connect_error_);
    connect_sqlstate_ = std::move(other.connect_sqlstate_);
    last_error_ = std::move(other.last_error_);
  }
  return *this;
}

PqClient::~PqClient() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool PqClient::ok() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

std::string PqClient::prepare(const std::string& name, const std::string& sql) {
  ResultPtr r(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), &PQclear);
  if (PQresultStatus(r.get()) == PGRES_COMMAND_OK) return "";
  const std::string state = sqlstate_of(r.get());
  return state.empty() ? "(no sqlstate)" : state;
}

std::string PqClient::exec_prepared(const std::string& name,
                                    const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  ResultPtr r(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                             nullptr, nullptr, 0),
              &PQclear);
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw PqError(sqlstate_of(r.get()), trim(PQresultErrorMessage(r.get())));
  }
  return (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0) ? PQgetvalue(r.get(), 0, 0) : "";
}

Rows PqClient::exec(const std::string& sql) {
  if (conn_ == nullptr) throw PqError("", "not connected: " + connect_error_);
  // Results one by one rather than PQexec: when an error follows a success (e.g. a pooler's FATAL
  // right after CommandComplete, then EOF), PQexec keeps only the last result and loses the
  // SQLSTATE. The first error's SQLSTATE is the one reported.
  if (PQsendQuery(conn_, sql.c_str()) != 1) {
    throw PqError("", "query \"" + sql + "\" not sent: " + trim(PQerrorMessage(conn_)));
  }
  Rows rows;
  bool failed = false;
  bool copy = false;
  std::string sqlstate;
  while (PGresult* raw = PQgetResult(conn_)) {
    ResultPtr result(raw, &PQclear);
    switch (PQresultStatus(raw)) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
      case PGRES_EMPTY_QUERY:
        rows = to_rows(raw);
        break;
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        copy = true;
        break;
      default:
        if (!failed) sqlstate = sqlstate_of(raw);
        failed = true;
        break;
    }
    if (copy) break;
  }
  if (copy) throw PqError("", "exec() does not do COPY; use raw(): " + sql);
  if (failed) {
    throw PqError(sqlstate, "query \"" + sql + "\" failed: " + trim(PQerrorMessage(conn_)));
  }
  return rows;
}

std::string PqClient::expect_error(const std::string& sql) {
  try {
    exec(sql);
  } catch (const PqError& e) {
    last_error_ = e.what();
    return e.sqlstate();
  }
  last_error_.clear();
  return "no error";
}

}  // namespace pooler_test
