#pragma once

namespace pooler {

// The version this binary reports (--version, SHOW VERSION, server_version). Defined in
// version.cpp, which each executable compiles with its own POOLER_VERSION.
const char* version();

}  // namespace pooler
