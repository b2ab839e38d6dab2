#include "fake_dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <stdexcept>

namespace pooler_test {

namespace {
constexpr uint16_t kTypeA = 1;

// The question's name in dotted lower case, its type, and where the question ends.
bool parse_question(const std::vector<uint8_t>& q, std::string* name, uint16_t* type, size_t* end) {
  size_t i = 12;
  name->clear();
  while (i < q.size() && q[i] != 0) {
    const size_t len = q[i++];
    if (len > 63 || i + len > q.size()) return false;
    if (!name->empty()) name->push_back('.');
    for (size_t k = 0; k < len; ++k) {
      name->push_back(static_cast<char>(std::tolower(q[i + k])));
    }
    i += len;
  }
  if (i + 5 > q.size()) return false;
  *type = static_cast<uint16_t>(q[i + 1] << 8 | q[i + 2]);
  *end = i + 5;
  return true;
}
}  // namespace

FakeDnsServer::FakeDnsServer() {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("fake DNS: socket() failed");
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
    close(fd_);
    throw std::runtime_error("fake DNS: bind() failed");
  }
  port_ = ntohs(sin.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  thread_.join();
  close(fd_);
}

void FakeDnsServer::write_resolv_conf(const std::string& path) const {
  std::ofstream out(path);
  // No search domains: a name that fails is not retried under the machine's domain.
  out << "nameserver 127.0.0.1:" << port_ << "\noptions timeout:10 attempts:3\nsearch .\n";
}

void FakeDnsServer::answer(const std::string& name, const std::string& ipv4) {
  std::lock_guard lock(mu_);
  addresses_[name] = ipv4;
}

void FakeDnsServer::hold(const std::string& name, const std::string& ipv4) {
  std::lock_guard lock(mu_);
  addresses_[name] = ipv4;
  held_names_[name] = true;
}

void FakeDnsServer::release(const std::string& name) {
  std::vector<Held> due;
  {
    std::lock_guard lock(mu_);
    held_names_.erase(name);
    for (auto it = held_.begin(); it != held_.end();) {
      if (it->first == name) {
        due.push_back(std::move(it->second));
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const Held& h : due) reply(h.query, h.peer);
}

bool FakeDnsServer::wait_for_question(const std::string& name) {
  std::unique_lock lock(mu_);
  return asked_.wait_for(lock, std::chrono::seconds(20), [&] { return questions_[name] > 0; });
}

int FakeDnsServer::questions(const std::string& name) {
  std::lock_guard lock(mu_);
  return questions_[name];
}

void FakeDnsServer::serve() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    std::vector<uint8_t> query(512);
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    ssize_t n =
        recvfrom(fd_, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n < 12) continue;
    query.resize(static_cast<size_t>(n));
    std::vector<uint8_t> peer_bytes(reinterpret_cast<uint8_t*>(&peer),
                                    reinterpret_cast<uint8_t*>(&peer) + plen);
    std::string name;
    uint16_t type = 0;
    size_t end = 0;
    if (!parse_question(query, &name, &type, &end)) continue;
    {
      std::lock_guard lock(mu_);
      if (type == kTypeA) ++questions_[name];
      asked_.notify_all();
      if (held_names_.count(name)) {
        held_.push_back({name, Held{query, peer_bytes}});
        continue;
      }
    }
    reply(query, peer_bytes);
  }
}

void FakeDnsServer::reply(const std::vector<uint8_t>& query, const std::vector<uint8_t>& peer) {
  std::string name;
  uint16_t type = 0;
  size_t end = 0;
  if (!parse_question(query, &name, &type, &end)) return;
  std::string ipv4;
  {
    std::lock_guard lock(mu_);
    auto it = addresses_.find(name);
    if (it != addresses_.end()) ipv4 = it->second;
  }
  // Header: same id, QR + RD + RA, one question; the question as asked (evdns checks the
  // case it randomised).
  std::vector<uint8_t> r(query.begin(), query.begin() + static_cast<long>(end));
  r[2] = 0x81;
  r[3] = ipv4.empty() ? 0x83 : 0x80;  // NXDOMAIN for names we do not know
  r[4] = 0, r[5] = 1;
  r[6] = 0, r[7] = 0;
  r[8] = r[9] = r[10] = r[11] = 0;
  in_addr a{};
  if (!ipv4.empty() && type == kTypeA && inet_pton(AF_INET, ipv4.c_str(), &a) == 1) {
    r[7] = 1;
    const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};  // name ptr, A, IN, TTL 60
    r.insert(r.end(), rr, rr + sizeof rr);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&a.s_addr);
    r.insert(r.end(), bytes, bytes + 4);
  }
  sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<const sockaddr*>(peer.data()),
         static_cast<socklen_t>(peer.size()));
}

}  // namespace pooler_test
