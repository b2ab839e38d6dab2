#include "pool/cancel_forwarder.h"

#include "pool/pooler.h"
#include "pool/server_address.h"
#include "protocol/message_builder.h"

namespace pooler::pool {

CancelForwarder::CancelForwarder(Pooler& pooler, Socket socket, uint32_t pid, uint32_t key,
                                 bool in_progress)
    : Connection(pooler, std::move(socket)), pid_(pid), key_(key) {
  if (in_progress) {
    want_write();
  } else {
    send_request();
  }
}

void CancelForwarder::send_request() {
  if (sent_) return;
  sent_ = true;
  if (pending_connect_error(fd()) != 0) {
    done_ = true;
    pooler_.finish_cancel_forward(this);
    return;
  }
  std::string out;
  protocol::append_cancel_request(out, pid_, key_);
  start_reading();  // PostgreSQL closes the connection once it has read the request
  if (!send_local(out)) {
    done_ = true;
    pooler_.finish_cancel_forward(this);
  }
}

Connection* CancelForwarder::forward_source() {
  send_request();
  return nullptr;
}

void CancelForwarder::on_readable() {
  char buf[64];
  ssize_t n = ::recv(fd(), buf, sizeof buf, 0);
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) return;
  done_ = true;
  pooler_.finish_cancel_forward(this);
}

}  // namespace pooler::pool
