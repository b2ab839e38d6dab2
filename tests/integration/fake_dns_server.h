// A DNS server on 127.0.0.1 for tests, answering A and AAAA questions over UDP from a table
// the test fills: an IPv4 address (AAAA gets an empty answer), NXDOMAIN for unknown names,
// or a hold, where questions wait unanswered until the test releases them. pooler reaches
// it through a resolv.conf that names its port (the `resolv_conf` setting).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pooler_test {

class FakeDnsServer {
 public:
  FakeDnsServer();
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  int port() const { return port_; }
  // A resolv.conf naming this server, written to `path`.
  void write_resolv_conf(const std::string& path) const;

  void answer(const std::string& name, const std::string& ipv4);
  // Questions for `name` wait until release(); then it answers with `ipv4`.
  void hold(const std::string& name, const std::string& ipv4);
  void release(const std::string& name);
  // Waits (up to 20 s) until an A question for `name` has arrived; false if none did.
  bool wait_for_question(const std::string& name);
  int questions(const std::string& name);  // A questions for `name` so far

 private:
  struct Held {
    std::vector<uint8_t> query;
    std::vector<uint8_t> peer;  // sockaddr_in bytes
  };
  void serve();
  void reply(const std::vector<uint8_t>& query, const std::vector<uint8_t>& peer);

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable asked_;
  bool stop_ = false;
  std::map<std::string, std::string> addresses_;  // lower-case name -> IPv4
  std::map<std::string, bool> held_names_;
  std::vector<std::pair<std::string, Held>> held_;
  std::map<std::string, int> questions_;
};

}  // namespace pooler_test
