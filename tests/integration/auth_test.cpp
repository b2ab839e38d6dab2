// Client authentication against auth_file with each auth_type, and the pooler's own login to
// PostgreSQL (which demands SCRAM, or md5 for bob, on 127.0.0.1).
#include <regex>
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

// A login failure message with the user name masked, so that two users' messages compare.
std::string without_user(const std::string& message, const std::string& user) {
  return std::regex_replace(message, std::regex(user), "<user>");
}

class PasswordAuth : public PoolerTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.auth_type = GetParam();
    start_pooler(options);
  }
};

TEST_P(PasswordAuth, RightPasswordLogsInAndQueries) {
  PqClient client = connect("alice");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ("alice", client.value("SELECT current_user"));
}

TEST_P(PasswordAuth, Md5StoredServerPasswordIsNoObstacle) {
  PqClient client = connect("bob", "postgres");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ("bob", client.value("SELECT current_user"));
}

// PgBouncer 1.18 answers 08P01 ("password authentication failed", or "SASL authentication
// failed" for SCRAM) instead of PostgreSQL's 28P01.
TEST_P(PasswordAuth, WrongPasswordFailsWith28P01) {
  PqClient client = PqClient::connect(pooler().conninfo("alice") + " password=wrong");
  EXPECT_FALSE(client.ok());
  EXPECT_EQ("28P01", client.connect_sqlstate()) << client.connect_error();
}

TEST_P(PasswordAuth, UnknownUserFailsExactlyLikeAWrongPassword) {
  PqClient wrong = PqClient::connect(pooler().conninfo("alice") + " password=wrong");
  PqClient unknown = PqClient::connect(pooler().conninfo("mallory") + " password=wrong");
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ("28P01", unknown.connect_sqlstate()) << unknown.connect_error();
  EXPECT_EQ(without_user(wrong.connect_error(), "alice"),
            without_user(unknown.connect_error(), "mallory"));
}

INSTANTIATE_TEST_SUITE_P(EachAuthType, PasswordAuth,
                         ::testing::Values("plain", "md5", "scram-sha-256"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "scram-sha-256" ? std::string("scram") : info.param;
                         });

class TrustAuth : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.auth_type = "trust";
    start_pooler(options);
  }
};

TEST_F(TrustAuth, KnownUserLogsInWithoutPassword) {
  PqClient client = PqClient::connect("host=127.0.0.1 port=" + std::to_string(pooler().port()) +
                                      " user=carol dbname=app");
  ASSERT_TRUE(client.ok()) << client.connect_error();
  EXPECT_EQ("carol", client.value("SELECT current_user"));
}

class SecretsInAuthFile : public PoolerTest {};

TEST_F(SecretsInAuthFile, ScramSecretLetsThePoolerLogInWithoutThePassword) {
  PoolerOptions options;
  options.auth_type = "scram-sha-256";
  options.alice_scram_secret = true;
  start_pooler(options);
  PqClient client = connect("alice");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ("alice", client.value("SELECT current_user"));
  EXPECT_EQ("28P01",
            PqClient::connect(pooler().conninfo("alice") + " password=wrong").connect_sqlstate());
}

TEST_F(SecretsInAuthFile, Md5SecretLetsThePoolerLogInWithoutThePassword) {
  PoolerOptions options;
  options.auth_type = "md5";
  options.bob_md5_secret = true;
  start_pooler(options);
  PqClient client = connect("bob", "postgres");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ("bob", client.value("SELECT current_user"));
}

}  // namespace
}  // namespace pooler_test
