#include <gtest/gtest.h>

#include <map>
#include <string>

#include "auth/hba.h"

namespace pooler::auth {
namespace {

HbaIncludeReader no_includes() {
  return [](const std::string& path) -> Result<std::string> {
    return make_error("no such file: " + path);
  };
}

HbaFile parse_ok(const std::string& text, const HbaIncludeReader& reader = no_includes()) {
  auto r = parse_hba(text, "hba.conf", reader);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : HbaFile{};
}

std::string parse_error(const std::string& text) {
  auto r = parse_hba(text, "hba.conf", no_includes());
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

HbaRequest tcp(std::string_view address, std::string_view db, std::string_view user,
               bool tls = false) {
  return HbaRequest{false, tls, address, db, user};
}

HbaRequest local(std::string_view db, std::string_view user) {
  return HbaRequest{true, false, "", db, user};
}

// The method of the rule that matches, or "none".
std::string method_for(const HbaFile& f, const HbaRequest& r) {
  const HbaRule* rule = f.match(r);
  return rule ? std::string(to_string(rule->method)) : "none";
}

TEST(Hba, ParsesRecordsCommentsListsAndQuotes) {
  HbaFile f = parse_ok(
      "# TYPE  DATABASE  USER  ADDRESS  METHOD\n"
      "\n"
      "local   all       all            peer   # trailing comment\n"
      "host    app, \"all\"  alice,bob  127.0.0.1/32  scram-sha-256\r\n"
      "hostssl all       all   ::1/128  cert\n");
  ASSERT_EQ(3u, f.rules.size());
  EXPECT_EQ(HbaRule::Type::kLocal, f.rules[0].type);
  EXPECT_EQ(3, f.rules[0].line);
  EXPECT_EQ(HbaMethod::kPeer, f.rules[0].method);
  const HbaRule& host = f.rules[1];
  EXPECT_EQ(4, host.line);
  EXPECT_FALSE(host.databases.all);  // "all" quoted is a database named all
  EXPECT_EQ((std::vector<std::string>{"app", "all"}), host.databases.names);
  EXPECT_EQ((std::vector<std::string>{"alice", "bob"}), host.users.names);
  EXPECT_EQ(HbaMethod::kScramSha256, host.method);
  EXPECT_EQ(HbaRule::Type::kHostSsl, f.rules[2].type);
}

TEST(Hba, FirstMatchingRuleWins) {
  HbaFile f = parse_ok(
      "host app carol 127.0.0.1/32 reject\n"
      "host app all   127.0.0.1/32 md5\n"
      "host all all   0.0.0.0/0    scram-sha-256\n");
  EXPECT_EQ("reject", method_for(f, tcp("127.0.0.1", "app", "carol")));
  EXPECT_EQ("md5", method_for(f, tcp("127.0.0.1", "app", "alice")));
  EXPECT_EQ("scram-sha-256", method_for(f, tcp("127.0.0.1", "other", "alice")));
  EXPECT_EQ("scram-sha-256", method_for(f, tcp("10.1.2.3", "app", "carol")));
}

TEST(Hba, ConnectionTypes) {
  HbaFile f = parse_ok(
      "local     all all           trust\n"
      "hostssl   all all 0.0.0.0/0 cert\n"
      "hostnossl all all 0.0.0.0/0 password\n");
  EXPECT_EQ("trust", method_for(f, local("app", "alice")));
  EXPECT_EQ("cert", method_for(f, tcp("127.0.0.1", "app", "alice", true)));
  EXPECT_EQ("password", method_for(f, tcp("127.0.0.1", "app", "alice", false)));
  HbaFile host_only = parse_ok("host all all all md5\n");
  EXPECT_EQ("none", method_for(host_only, local("app", "alice")));
  EXPECT_EQ("md5", method_for(host_only, tcp("::1", "app", "alice", true)));
}

TEST(Hba, AddressesByPrefixMaskAndFamily) {
  HbaFile f = parse_ok(
      "host all a 10.0.0.0/8 md5\n"
      "host all b 192.168.1.0 255.255.255.0 md5\n"
      "host all c ::1/128 md5\n"
      "host all d 0.0.0.0/0 md5\n");
  EXPECT_EQ("md5", method_for(f, tcp("10.200.3.4", "x", "a")));
  EXPECT_EQ("none", method_for(f, tcp("11.0.0.1", "x", "a")));
  EXPECT_EQ("md5", method_for(f, tcp("192.168.1.77", "x", "b")));
  EXPECT_EQ("none", method_for(f, tcp("192.168.2.77", "x", "b")));
  EXPECT_EQ("md5", method_for(f, tcp("::1", "x", "c")));
  EXPECT_EQ("none", method_for(f, tcp("127.0.0.1", "x", "c")));  // another family
  EXPECT_EQ("md5", method_for(f, tcp("203.0.113.9", "x", "d")));
  EXPECT_EQ("none", method_for(f, tcp("::2", "x", "d")));
}

TEST(Hba, SameuserAndReplicationKeywords) {
  HbaFile f = parse_ok(
      "host replication all 0.0.0.0/0 trust\n"
      "host sameuser    all 0.0.0.0/0 md5\n");
  EXPECT_EQ("md5", method_for(f, tcp("127.0.0.1", "alice", "alice")));
  EXPECT_EQ("none", method_for(f, tcp("127.0.0.1", "app", "alice")));
  EXPECT_EQ("none", method_for(f, tcp("127.0.0.1", "replication", "bob")));
}

TEST(Hba, AtFilesListNamesRelativeToTheReader) {
  std::map<std::string, std::string> files = {{"admins.txt", "alice\n# comment\nbob, carol\n"},
                                              {"nested.txt", "@admins.txt dave"}};
  auto reader = [&files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return make_error("no such file");
    return it->second;
  };
  HbaFile f = parse_ok("host all @nested.txt 0.0.0.0/0 md5\n", reader);
  ASSERT_EQ(1u, f.rules.size());
  EXPECT_EQ((std::vector<std::string>{"alice", "bob", "carol", "dave"}), f.rules[0].users.names);
  auto missing = parse_hba("\nhost all @gone.txt 0.0.0.0/0 md5\n", "hba.conf", reader);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ("hba.conf:2: @gone.txt: no such file", missing.error().message);
}

TEST(Hba, AFileThatIncludesItselfEndsWithAnError) {
  auto reader = [](const std::string&) -> Result<std::string> {
    return std::string("@self @self");
  };
  auto r = parse_hba("host all @self 0.0.0.0/0 md5\n", "hba.conf", reader);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("@ files")) << r.error().message;
}

TEST(Hba, ErrorsNameFileLineAndWhat) {
  EXPECT_EQ("hba.conf:2: connection type \"hostgssenc\" is not supported",
            parse_error("local all all trust\nhostgssenc all all 0.0.0.0/0 md5\n"));
  EXPECT_EQ("hba.conf:1: authentication method \"ldap\" is not supported",
            parse_error("host all all 0.0.0.0/0 ldap\n"));
  EXPECT_EQ("hba.conf:1: invalid IP address \"db.example.com\" (host names are not supported)",
            parse_error("host all all db.example.com md5\n"));
  EXPECT_EQ("hba.conf:1: \"samenet\" is not supported", parse_error("host all all samenet md5\n"));
  EXPECT_EQ("hba.conf:1: role membership (\"+admins\") is not supported",
            parse_error("host all +admins 0.0.0.0/0 md5\n"));
  EXPECT_EQ("hba.conf:1: authentication option \"map=x\" is not supported",
            parse_error("local all all peer map=x\n"));
  EXPECT_EQ("hba.conf:1: unterminated quoted string", parse_error("host \"app all\n"));
  EXPECT_EQ("hba.conf:1: invalid CIDR mask in address \"10.0.0.0/33\"",
            parse_error("host all all 10.0.0.0/33 md5\n"));
  EXPECT_EQ("hba.conf:1: end-of-line before authentication method",
            parse_error("host all all 10.0.0.0/8\n"));
  EXPECT_EQ("hba.conf:1: peer authentication is only supported on local sockets",
            parse_error("host all all 0.0.0.0/0 peer\n"));
  EXPECT_EQ("hba.conf:1: cert authentication is only supported on hostssl connections",
            parse_error("host all all 0.0.0.0/0 cert\n"));
  EXPECT_EQ("hba.conf:1: empty item in a list", parse_error("host app,,x all 0.0.0.0/0 md5\n"));
  EXPECT_EQ("hba.conf:1: invalid IP mask \"255.0.0\"",
            parse_error("host all all 10.0.0.0 255.0.0 md5\n"));
}

TEST(Hba, EmptyFileMatchesNothing) {
  HbaFile f = parse_ok("# nothing\n\n");
  EXPECT_TRUE(f.rules.empty());
  EXPECT_EQ(nullptr, f.match(tcp("127.0.0.1", "app", "alice")));
}

}  // namespace
}  // namespace pooler::auth
