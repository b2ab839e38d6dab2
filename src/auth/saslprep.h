#pragma once
// SASLprep (RFC 4013) of a SCRAM password, with PostgreSQL's leniency.
#include <string>
#include <string_view>

namespace pooler::auth {

// Prepares a password the way PostgreSQL's pg_saslprep does, so that secrets computed here
// match the server's: pure ASCII is returned unchanged; otherwise non-ASCII spaces (C.1.2)
// become U+0020 and B.1 characters are removed, then the result is checked for prohibited
// (C.1.2-C.9) and unassigned (A.1) code points and for bidi rules (RFC 3454 section 6).
// Invalid UTF-8, a prohibited character, a bidi violation or an empty result all make
// PostgreSQL fall back to the raw bytes, and so does this function.
//
// NOT DONE: step 2, NFKC normalization, needs Unicode decomposition/composition tables
// (~6000 entries) and is not applied. Passwords that NFKC changes (e.g. fullwidth letters,
// ligatures, decomposed accents) therefore derive different keys than PostgreSQL's.
std::string saslprep(std::string_view password);

}  // namespace pooler::auth
