#pragma once
// Unicode normalization form KC, as PostgreSQL's unicode_normalize(UNICODE_NFKC) computes it.
#include <string>
#include <string_view>

namespace pooler::auth {

// Returns the NFKC form of `text` (code points; surrogates and values above U+10FFFF are
// passed through as unassigned characters): full compatibility decomposition (Hangul
// syllables algorithmically), canonical reordering, then canonical composition. Tables are
// Unicode 14.0, those of PostgreSQL 15 (unicode_nfkc_tables.h). The composition step is
// PostgreSQL's, including one deviation from UAX #15: an LV Hangul syllable followed by
// U+11A7 (the T base, not a trailing consonant) absorbs it.
std::u32string nfkc(std::u32string_view text);

}  // namespace pooler::auth
