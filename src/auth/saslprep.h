#pragma once
// SASLprep (RFC 4013) of a SCRAM password, with PostgreSQL's leniency.
#include <string>
#include <string_view>

namespace pooler::auth {

// Prepares a password the way PostgreSQL's pg_saslprep does, so that secrets computed here
// match the server's: pure ASCII is returned unchanged; otherwise non-ASCII spaces (C.1.2)
// become U+0020 and B.1 characters are removed, the result is normalized to NFKC (Unicode
// 14.0 like PostgreSQL 15, see unicode_nfkc.h), then checked for prohibited (C.1.2-C.9) and
// unassigned (A.1) code points and for bidi rules (RFC 3454 section 6). Invalid UTF-8, a
// prohibited character, a bidi violation or an empty result all make PostgreSQL fall back to
// the raw bytes, and so does this function.
std::string saslprep(std::string_view password);

}  // namespace pooler::auth
