// Small string helpers shared by every layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

// FNV-1a, 32 bit: Argo derives node IDs from it ("<workflow>-<hash>").
uint32_t fnv1a32(std::string_view data);

bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
// Removes one trailing "\n" (and a "\r" before it), as Argo does for results
// and output parameters read from files.
std::string trim_one_trailing_newline(std::string s);
// Reads a whole file; false when it cannot be read.
bool read_file(const std::string& path, std::string* out);

// RFC 3986 percent-encoding: unreserved characters (letters, digits, "-._~")
// and those in `also_keep` stay, every other byte becomes %XX (upper case).
std::string percent_encode(std::string_view text, std::string_view also_keep = {});

}  // namespace skiff
