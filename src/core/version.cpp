#include "core/version.h"

namespace pooler {

const char* version() {
  return POOLER_VERSION;
}

}  // namespace pooler
