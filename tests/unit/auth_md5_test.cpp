#include <gtest/gtest.h>

#include "auth/crypto.h"
#include "auth/md5.h"

namespace pooler::auth {
namespace {

constexpr uint8_t kSalt[4] = {0x01, 0xab, 0x00, 0x7f};  // includes a NUL byte on purpose

TEST(Md5Secret, MatchesWhatPostgreSqlStores) {
  // SET password_encryption = 'md5'; CREATE ROLE dave PASSWORD 'secret'; in PostgreSQL 15.
  EXPECT_EQ(md5_secret("secret", "dave"), "md5d054392f985a267df752bb2b16be2f2f");
  // The same formula, md5(password || user), for another user.
  EXPECT_EQ(md5_secret("secret", "alice"), "md5" + md5_hex("secretalice"));
  EXPECT_EQ(md5_secret("secret", "alice"), "md54a0a68b43b6cd5cf266fa02f196e2371");
}

TEST(Md5Hex, KnownDigests) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5Response, IsMd5OfSecretHexAndSalt) {
  std::string secret = md5_secret("secret", "alice");
  std::string salted = secret.substr(3) + std::string(reinterpret_cast<const char*>(kSalt), 4);
  EXPECT_EQ(md5_response(secret, kSalt), "md5" + md5_hex(salted));
}

TEST(VerifyMd5Response, AcceptsClientResponseForMd5StoredSecret) {
  std::string response = md5_response(md5_secret("secret", "alice"), kSalt);
  EXPECT_TRUE(verify_md5_response(md5_secret("secret", "alice"), "alice", kSalt, response));
}

TEST(VerifyMd5Response, AcceptsClientResponseForPlainStoredSecret) {
  std::string response = md5_response(md5_secret("secret", "alice"), kSalt);
  EXPECT_TRUE(verify_md5_response("secret", "alice", kSalt, response));
}

TEST(VerifyMd5Response, RejectsWrongPassword) {
  std::string response = md5_response(md5_secret("wrong", "alice"), kSalt);
  EXPECT_FALSE(verify_md5_response("secret", "alice", kSalt, response));
  EXPECT_FALSE(verify_md5_response(md5_secret("secret", "alice"), "alice", kSalt, response));
}

TEST(VerifyMd5Response, RejectsWrongUserOrSalt) {
  std::string response = md5_response(md5_secret("secret", "alice"), kSalt);
  EXPECT_FALSE(verify_md5_response("secret", "bob", kSalt, response));
  constexpr uint8_t other_salt[4] = {1, 2, 3, 4};
  EXPECT_FALSE(verify_md5_response("secret", "alice", other_salt, response));
}

TEST(VerifyMd5Response, RefusesScramStoredSecret) {
  std::string scram =
      "SCRAM-SHA-256$4096:58VguLhsxrJlYtadwpmKRw==$fztCTz1JX++CjIdM50Hr98TI3+idIHZzm634aHcDcpQ="
      ":xYbyUbD1NNlh0k5OYBx7TYlEgBcoSWs0TK3BXlTt2Do=";
  // Even a response computed from the secret text itself must not pass.
  EXPECT_FALSE(
      verify_md5_response(scram, "alice", kSalt, md5_response(md5_secret(scram, "alice"), kSalt)));
}

TEST(VerifyMd5Response, RefusesEmptyStoredPassword) {
  EXPECT_FALSE(
      verify_md5_response("", "alice", kSalt, md5_response(md5_secret("", "alice"), kSalt)));
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
}

TEST(SecureRandom, FillsTheBuffer) {
  uint8_t a[32] = {}, b[32] = {};
  ASSERT_TRUE(secure_random(a, sizeof a));
  ASSERT_TRUE(secure_random(b, sizeof b));
  // Two 256-bit draws colliding would mean the generator is broken.
  EXPECT_NE(std::string(a, a + 32), std::string(b, b + 32));
}

}  // namespace
}  // namespace pooler::auth
