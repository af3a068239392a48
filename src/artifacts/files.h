// File-system helpers and archives (internal to the artifacts layer).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::artifacts::internal {

enum class ArchiveFormat { kTarGzip, kZip };

// Writes `src` (file or directory) into a new archive file `dest`, its
// entries under src's base name, as Argo's executor archives outputs.
Status pack(const std::string& src, const std::string& dest, ArchiveFormat format, int gzip_level = -1);

// Places the fetched file at `dest`: a tar (optionally compressed) or zip
// archive is unpacked (a single top-level entry becomes `dest` itself, else
// the entries go inside `dest`); anything else, or anything `stored_as_is`,
// is moved there as is.
Status unpack_or_move(const std::string& file, const std::string& dest, bool stored_as_is = false);

Status make_dirs(const std::string& path);
Status remove_tree(const std::string& path);
// Copies a file or a directory tree; the destination must not exist.
Status copy_tree(const std::string& src, const std::string& dest);
bool is_directory(const std::string& path);
bool path_exists(const std::string& path);
// Regular files under `dir` (and links to regular files; links to
// directories and broken links are left out), relative to it, sorted.
std::vector<std::string> list_files(const std::string& dir);
std::string parent_dir(const std::string& path);
std::string base_name(const std::string& path);
// A new, empty directory next to `near` (same file system, so renames work).
Result<std::string> make_temp_dir(const std::string& near);

}  // namespace skiff::artifacts::internal
