// tar+gzip and zip archives through libarchive, streamed: no archive or
// file is ever held whole in memory.
#include <archive.h>
#include <dirent.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "artifacts/files.h"

namespace skiff::artifacts::internal {
namespace {

using WriteHandle = std::unique_ptr<struct archive, decltype(&archive_write_free)>;
using ReadHandle = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

Status archive_error(struct archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  return internal_error(what + ": " + (text ? text : "archive error"));
}

// Adds every entry of the host tree at `path` as `name`.
Status add_tree(struct archive* out, struct archive* disk, const std::string& path, const std::string& name) {
  struct archive_entry* entry = archive_entry_new();
  archive_entry_copy_sourcepath(entry, path.c_str());
  if (archive_read_disk_entry_from_file(disk, entry, -1, nullptr) != ARCHIVE_OK) {
    archive_entry_free(entry);
    return archive_error(disk, "cannot read " + path);
  }
  archive_entry_copy_pathname(entry, name.c_str());
  if (archive_write_header(out, entry) != ARCHIVE_OK) {
    archive_entry_free(entry);
    return archive_error(out, "cannot archive " + path);
  }
  const bool regular = archive_entry_filetype(entry) == AE_IFREG;
  archive_entry_free(entry);
  if (regular) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return internal_error("cannot read " + path + ": " + std::strerror(errno));
    char buffer[1 << 16];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
      if (archive_write_data(out, buffer, static_cast<size_t>(n)) < 0) {
        ::close(fd);
        return archive_error(out, "cannot archive " + path);
      }
    }
    ::close(fd);
    if (n < 0) return internal_error("cannot read " + path + ": " + std::strerror(errno));
  }
  // A link is archived as a link (tar and zip keep it as one), never
  // followed: its target may lie outside what the step could see.
  struct stat own{};
  if (::lstat(path.c_str(), &own) == 0 && S_ISDIR(own.st_mode)) {
    std::set<std::string> names;
    if (DIR* d = ::opendir(path.c_str())) {
      while (struct dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.insert(e->d_name);
      }
      ::closedir(d);
    }
    for (const auto& child : names) SKIFF_RETURN_IF_ERROR(add_tree(out, disk, path + "/" + child, name + "/" + child));
  }
  return Status::ok();
}

bool looks_like_archive(const std::string& file) {
  ReadHandle in(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_zip(in.get());
  if (archive_read_open_filename(in.get(), file.c_str(), 1 << 16) != ARCHIVE_OK) return false;
  struct archive_entry* entry = nullptr;
  // At least one entry: a file of zeros reads as an empty tar archive.
  int r = archive_read_next_header(in.get(), &entry);
  return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

Status extract(const std::string& file, const std::string& dir) {
  ReadHandle in(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_zip(in.get());
  if (archive_read_open_filename(in.get(), file.c_str(), 1 << 16) != ARCHIVE_OK) {
    return archive_error(in.get(), "cannot open archive " + file);
  }
  WriteHandle out(archive_write_disk_new(), archive_write_free);
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  for (;;) {
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return archive_error(in.get(), "cannot read archive");
    std::string name = archive_entry_pathname(entry);
    while (name.rfind("./", 0) == 0) name.erase(0, 2);
    if (name.empty() || name == ".") continue;
    // Entries are written below `dir` by absolute path, so the archive's own
    // names must stay relative and inside it.
    if (name[0] == '/' || name == ".." || name.rfind("../", 0) == 0 || name.find("/../") != std::string::npos) {
      return invalid_argument("archive entry '" + name + "' lies outside the artifact");
    }
    std::string target = dir + "/" + name;
    archive_entry_copy_pathname(entry, target.c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string l = link;
      while (l.rfind("./", 0) == 0) l.erase(0, 2);
      archive_entry_copy_hardlink(entry, (dir + "/" + l).c_str());
    }
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) return archive_error(out.get(), "cannot unpack " + name);
    const void* block;
    size_t size;
    la_int64_t offset;
    while ((r = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(out.get(), block, size, offset) < ARCHIVE_WARN) {
        return archive_error(out.get(), "cannot unpack " + name);
      }
    }
    if (r != ARCHIVE_EOF) return archive_error(in.get(), "cannot read archive entry " + name);
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) return archive_error(out.get(), "cannot unpack " + name);
  }
  return Status::ok();
}

}  // namespace

Status pack(const std::string& src, const std::string& dest, ArchiveFormat format, int gzip_level) {
  if (!path_exists(src)) return not_found("no such file or directory: " + src);
  WriteHandle out(archive_write_new(), archive_write_free);
  if (format == ArchiveFormat::kZip) {
    archive_write_set_format_zip(out.get());
  } else {
    archive_write_add_filter_gzip(out.get());
    if (gzip_level >= 0) {
      archive_write_set_filter_option(out.get(), "gzip", "compression-level", std::to_string(gzip_level).c_str());
    }
    archive_write_set_format_pax_restricted(out.get());
  }
  if (archive_write_open_filename(out.get(), dest.c_str()) != ARCHIVE_OK) {
    return archive_error(out.get(), "cannot create " + dest);
  }
  ReadHandle disk(archive_read_disk_new(), archive_read_free);
  archive_read_disk_set_standard_lookup(disk.get());
  std::string name = base_name(src);
  if (name == "/" || name.empty()) name = "root";
  SKIFF_RETURN_IF_ERROR(add_tree(out.get(), disk.get(), src, name));
  if (archive_write_close(out.get()) != ARCHIVE_OK) return archive_error(out.get(), "cannot finish " + dest);
  return Status::ok();
}

Status unpack_or_move(const std::string& file, const std::string& dest, bool stored_as_is) {
  SKIFF_RETURN_IF_ERROR(make_dirs(parent_dir(dest)));
  if (stored_as_is || !looks_like_archive(file)) {
    if (::rename(file.c_str(), dest.c_str()) != 0) {
      return internal_error("cannot move the artifact to " + dest + ": " + std::strerror(errno));
    }
    return Status::ok();
  }
  auto dir = make_temp_dir(dest);
  if (!dir) return dir.status();
  Status st = extract(file, *dir);
  if (st) {
    std::vector<std::string> top;
    if (DIR* d = ::opendir(dir->c_str())) {
      while (struct dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) top.emplace_back(e->d_name);
      }
      ::closedir(d);
    }
    std::string from = top.size() == 1 ? *dir + "/" + top[0] : *dir;
    if (::rename(from.c_str(), dest.c_str()) != 0) {
      st = internal_error("cannot move the artifact to " + dest + ": " + std::strerror(errno));
    }
  }
  (void)remove_tree(*dir);
  ::unlink(file.c_str());
  return st;
}

}  // namespace skiff::artifacts::internal
