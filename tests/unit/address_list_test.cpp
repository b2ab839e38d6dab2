// AddressList: getaddrinfo's results, owned. Only IP literals and the wildcard here, so
// the tests never wait for a DNS server.
#include "core/address_list.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "core/socket.h"

namespace pooler {
namespace {

TEST(AddressListTest, AnIpLiteralResolvesToItself) {
  auto addresses = AddressList::for_bind("127.0.0.1", 6432);
  ASSERT_TRUE(addresses.ok()) << addresses.error().message;
  ASSERT_FALSE(addresses->empty());
  const addrinfo& first = *addresses->begin();
  EXPECT_EQ(AF_INET, first.ai_family);
  EXPECT_EQ(SOCK_STREAM, first.ai_socktype);
  EXPECT_EQ("127.0.0.1:6432", address_from_sockaddr(first.ai_addr, first.ai_addrlen).to_string());
}

TEST(AddressListTest, TheWildcardMeansEveryLocalAddress) {
  for (const char* host : {"*", ""}) {
    auto addresses = AddressList::for_bind(host, 6432);
    ASSERT_TRUE(addresses.ok()) << host << ": " << addresses.error().message;
    int n = 0;
    for (const addrinfo& ai : *addresses) {
      ++n;
      // The wildcard address of its family.
      if (ai.ai_family == AF_INET) {
        EXPECT_EQ(INADDR_ANY,
                  ntohl(reinterpret_cast<const sockaddr_in*>(ai.ai_addr)->sin_addr.s_addr));
      }
    }
    EXPECT_GE(n, 1) << host;
  }
}

}  // namespace
}  // namespace pooler
