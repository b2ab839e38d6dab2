#include "auth/auth_query_reply.h"

#include "protocol/backend_messages.h"

namespace pooler::auth {

void AuthQueryReply::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);  // the first cause is the one to report
}

bool AuthQueryReply::add(char type, std::string_view body) {
  if (done_) return true;
  switch (type) {
    case '1':  // ParseComplete
    case '2':  // BindComplete
    case 'C':  // CommandComplete
      return false;
    case 'D': {
      if (found_) return false;  // a user has one password; later rows change nothing
      auto row = protocol::parse_data_row(body);
      if (!row) {
        fail("malformed DataRow");
      } else if (row->size() < 2) {
        fail("auth_query must return two columns (user name, password), got " +
             std::to_string(row->size()));
      } else {
        found_ = true;
        if ((*row)[1]) secret_.emplace(*(*row)[1]);
      }
      return false;
    }
    case 'E': {
      auto err = protocol::parse_error_fields(body);
      if (!err) {
        fail("malformed ErrorResponse");
      } else {
        fail(std::string(err->message) + " (SQLSTATE " + std::string(err->sqlstate) + ")");
      }
      return false;
    }
    case 'I':
      fail("auth_query is empty");
      return false;
    case 'Z':
      done_ = true;
      return true;
    default:
      fail(std::string("unexpected message type '") + type + "' in the answer to auth_query");
      return false;
  }
}

}  // namespace pooler::auth
