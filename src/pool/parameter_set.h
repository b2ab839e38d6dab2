#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pooler::pool {

// The session parameters a client may change that pooler keeps per client and
// re-applies on whichever server the client is given (transaction pooling).
enum class TrackedParam : uint8_t {
  kClientEncoding,
  kDateStyle,
  kTimeZone,
  kStandardConformingStrings,
  kApplicationName,
  kIntervalStyle,
  kCount
};
inline constexpr size_t kTrackedParamCount = static_cast<size_t>(TrackedParam::kCount);

std::optional<TrackedParam> tracked_param_by_name(std::string_view name);  // case-insensitive
std::string_view tracked_param_name(TrackedParam p);  // as the server reports it

class ParameterSet {
 public:
  // Returns false if `name` is not tracked.
  bool set(std::string_view name, std::string_view value);
  void set(TrackedParam p, std::string_view value);
  // Empty when not known. Valid until the next set().
  std::string_view get(TrackedParam p) const;
  // Known even when empty: application_name '' differs from a server's 'a'.
  bool has(TrackedParam p) const { return (known_ & bit(p)) != 0; }
  // Fill params this set lacks from `defaults` (a server's values at login).
  void fill_missing_from(const ParameterSet& defaults);

  // "SET client_encoding='UTF8';SET TimeZone='UTC';" for every param `wanted` has and
  // `actual` differs in; empty if nothing differs.
  static std::string sync_query(const ParameterSet& wanted, const ParameterSet& actual);

 private:
  static size_t index(TrackedParam p) { return static_cast<size_t>(p); }
  static uint8_t bit(TrackedParam p) { return static_cast<uint8_t>(1u << index(p)); }
  // Where p's value starts in packed_ (or would start, if not known).
  size_t offset_of(TrackedParam p) const;
  // The known values in TrackedParam order, each followed by a NUL (parameter values never
  // hold one): one string instead of six keeps an idle client small.
  std::string packed_;
  uint8_t known_ = 0;
};

// Single-quoted SQL literal with embedded quotes doubled.
std::string quote_literal(std::string_view value);

}  // namespace pooler::pool
