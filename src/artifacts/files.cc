#include "artifacts/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace skiff::artifacts::internal {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return internal_error(what + " " + path + ": " + std::strerror(errno));
}

Status copy_file(const std::string& src, const std::string& dest, mode_t mode) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return io_error("cannot read", src);
  int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
  if (out < 0) {
    ::close(in);
    return io_error("cannot create", dest);
  }
  Status st = Status::ok();
  for (;;) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) break;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    // Fall back to sendfile where copy_file_range cannot cross file systems.
    ssize_t m = ::sendfile(out, in, nullptr, 1 << 30);
    if (m == 0) break;
    if (m > 0) continue;
    st = io_error("cannot copy to", dest);
    break;
  }
  ::close(in);
  ::close(out);
  return st;
}

}  // namespace

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string parent_dir(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

Status make_dirs(const std::string& path) {
  if (path.empty() || is_directory(path)) return Status::ok();
  SKIFF_RETURN_IF_ERROR(make_dirs(parent_dir(path)));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return io_error("cannot create directory", path);
  return Status::ok();
}

Status remove_tree(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return Status::ok();
  if (S_ISDIR(st.st_mode)) {
    DIR* d = ::opendir(path.c_str());
    if (!d) return io_error("cannot open", path);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    }
    ::closedir(d);
    for (const auto& name : names) SKIFF_RETURN_IF_ERROR(remove_tree(path + "/" + name));
    if (::rmdir(path.c_str()) != 0) return io_error("cannot remove", path);
    return Status::ok();
  }
  if (::unlink(path.c_str()) != 0) return io_error("cannot remove", path);
  return Status::ok();
}

namespace {

std::string real_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return "";
  std::string out = resolved;
  std::free(resolved);
  return out;
}

// True when `path` resolves to a file below the real directory `real_dir`.
bool inside(const std::string& real_dir, const std::string& path) {
  std::string real = real_path(path);
  return !real_dir.empty() && !real.empty() && real.size() > real_dir.size() &&
         real.compare(0, real_dir.size(), real_dir) == 0 && (real_dir == "/" || real[real_dir.size()] == '/');
}

}  // namespace

Status copy_tree(const std::string& src, const std::string& dest) {
  struct stat st{};
  if (::lstat(src.c_str(), &st) != 0) return io_error("cannot read", src);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlink(src.c_str(), target, sizeof target - 1);
    if (n < 0 || ::symlink(std::string(target, static_cast<size_t>(n)).c_str(), dest.c_str()) != 0) {
      return io_error("cannot copy link", src);
    }
    return Status::ok();
  }
  if (!S_ISDIR(st.st_mode)) return copy_file(src, dest, st.st_mode);
  if (::mkdir(dest.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST) return io_error("cannot create", dest);
  DIR* d = ::opendir(src.c_str());
  if (!d) return io_error("cannot open", src);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& name : names) SKIFF_RETURN_IF_ERROR(copy_tree(src + "/" + name, dest + "/" + name));
  return Status::ok();
}

std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> out;
  const std::string real_dir = real_path(dir);
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    std::string rel = pending.back();
    pending.pop_back();
    std::string full = rel.empty() ? dir : dir + "/" + rel;
    DIR* d = ::opendir(full.c_str());
    if (!d) continue;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      std::string child = rel.empty() ? e->d_name : rel + "/" + e->d_name;
      // Links are not followed into directories (they may loop or leave the
      // tree); a link to a file of the tree counts as that file, a link out
      // of it (a host file the step never saw) or a broken one not at all.
      struct stat own{}, target{};
      const std::string path = dir + "/" + child;
      if (::lstat(path.c_str(), &own) != 0) continue;
      if (S_ISDIR(own.st_mode)) {
        pending.push_back(child);
      } else if (S_ISREG(own.st_mode) || (S_ISLNK(own.st_mode) && ::stat(path.c_str(), &target) == 0 &&
                                          S_ISREG(target.st_mode) && inside(real_dir, path))) {
        out.push_back(child);
      }
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> make_temp_dir(const std::string& near) {
  std::string pattern = parent_dir(near) + "/.skiff-artifact-XXXXXX";
  SKIFF_RETURN_IF_ERROR(make_dirs(parent_dir(near)));
  if (!::mkdtemp(pattern.data())) return io_error("cannot create a temporary directory beside", near);
  return pattern;
}

}  // namespace skiff::artifacts::internal
