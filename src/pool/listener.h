#pragma once
#include <string>

#include "config/settings.h"
#include "core/event_loop.h"
#include "core/result.h"
#include "core/socket.h"

namespace pooler::pool {

class Pooler;

// One listening socket (TCP or Unix). Accepts in batches and hands each connection to
// the Pooler.
class Listener {
 public:
  Listener(Pooler& pooler, Socket socket, std::string description, bool is_unix);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void enable();
  void disable();
  int fd() const { return socket_.fd(); }
  const std::string& description() const { return description_; }
  bool is_unix() const { return is_unix_; }

 private:
  static void accept_cb(evutil_socket_t fd, short, void* arg);
  void accept_ready();

  Pooler& pooler_;
  Socket socket_;
  Event event_;
  std::string description_;
  bool is_unix_;
  bool enabled_ = false;
};

// Binding, with errors that name the address.
struct BoundSocket {
  Socket socket;
  std::string description;
};
// listen_backlog, so_reuseport and the listener TCP options (tcp_defer_accept) come from
// `settings`, all set before listen(): the first connection already gets them.
Result<BoundSocket> bind_tcp_listener(const std::string& host, int port,
                                      const config::Settings& settings);
// `socket_group` (unix_socket_group), when not empty, becomes the socket file's group.
Result<BoundSocket> bind_unix_listener(const std::string& dir, int port, int mode, int backlog,
                                       const std::string& socket_group = {});

}  // namespace pooler::pool
