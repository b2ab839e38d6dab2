#pragma once
#include <string>

#include "core/result.h"

namespace pooler {

// A whole file read into memory: the config, auth_file, auth_hba_file and their includes.
// The error is only the reason ("No such file or directory"); each caller says which file
// it was reading and why, in its own words.
Result<std::string> read_text_file(const std::string& path);

}  // namespace pooler
