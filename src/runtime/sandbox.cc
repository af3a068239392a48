#include "runtime/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "base/strings.h"

namespace skiff::runtime::internal {
namespace {

// Top-level host entries the sandbox provides itself.
const std::set<std::string> kOwnTopLevel = {"tmp", "proc", "dev"};
// Replicating a host directory entry by entry is only worth it when small;
// beyond this the directory is bound whole.
constexpr size_t kMaxReplicatedEntries = 256;

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

Status mkdir_all(const std::string& path) {
  if (path.empty() || is_dir(path)) return Status::ok();
  SKIFF_RETURN_IF_ERROR(mkdir_all(parent_of(path)));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return internal_error("mkdir " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string normalize_path(const std::string& path) {
  std::vector<std::string> parts;
  for (const std::string& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return "/" + join(parts, "/");
}

bool path_within(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return true;
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

StepPaths StepPaths::under(const std::string& root, const std::string& id) {
  StepPaths p;
  p.dir = root + "/" + id;
  p.tmp = p.dir + "/tmp";
  p.rootfs = p.dir + "/root";
  p.work = p.dir + "/work";
  p.log = p.dir + "/log";
  p.script = p.dir + "/script";
  p.record = p.dir + "/record";
  return p;
}

void StepLayout::plan_host_tree(const std::string& dir, const std::vector<std::string>& replicate) {
  for (const std::string& name : list_dir(dir)) {
    if (dir == "/" && kOwnTopLevel.count(name)) continue;
    std::string path = join_path(dir, name);
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      entries_.push_back({Kind::kSymlink, path, std::string(target, static_cast<size_t>(n))});
      continue;
    }
    bool must_replicate = S_ISDIR(st.st_mode) && std::find(replicate.begin(), replicate.end(), path) != replicate.end() &&
                          list_dir(path).size() <= kMaxReplicatedEntries;
    if (must_replicate) {
      entries_.push_back({Kind::kDir, path, ""});
      plan_host_tree(path, replicate);
    } else if (dir == "/" && !S_ISDIR(st.st_mode)) {
      // Files at the top of the host (/.dockerenv and the like) are not
      // worth a mount each: bwrap's cost grows with the number of mounts.
      continue;
    } else {
      entries_.push_back({Kind::kDevBind, path, path});
    }
  }
}

const StepLayout::Entry* StepLayout::covering(const std::string& path) const {
  const Entry* best = nullptr;
  for (const Entry& e : entries_) {
    if (e.kind == Kind::kDir || !path_within(path, e.container)) continue;
    if (!best || e.container.size() >= best->container.size()) best = &e;
  }
  return best;
}

// The sandbox's root is in memory and vanishes with it; a new path the step
// must leave behind gets a host-backed directory at its first new
// component, or a file when the output is that component itself.
// They are mounted before the step's mounts, which may lie below them.
void StepLayout::plan_private_paths(const StepSpec& spec, size_t insert_at) {
  std::vector<std::pair<std::string, bool>> wanted;  // path, is a file
  for (const std::string& file : spec.output_files) wanted.emplace_back(normalize_path(file), true);
  for (const std::string& path : spec.output_paths) wanted.emplace_back(normalize_path(path), true);
  if (!spec.working_dir.empty()) wanted.emplace_back(normalize_path(spec.working_dir), false);
  std::vector<Entry> added;
  for (const auto& [path, is_file] : wanted) {
    if (path == "/" || covering(path)) continue;
    // Below a host directory rebuilt entry by entry (it lives in memory),
    // the new entry is the first path component under it.
    std::string rebuilt = "/";
    for (const Entry& e : entries_) {
      if (e.kind == Kind::kDir && path_within(path, e.container) && e.container.size() > rebuilt.size()) {
        rebuilt = e.container;
      }
    }
    if (rebuilt == path) continue;
    size_t below = rebuilt == "/" ? 1 : rebuilt.size() + 1;
    std::string top = path.substr(0, path.find('/', below));
    bool seen = std::any_of(added.begin(), added.end(), [&](const Entry& e) { return e.container == top; });
    if (seen) continue;
    std::string host = paths_.rootfs + top;
    if (top == path && is_file) {
      added.push_back({Kind::kPrivateFile, top, host});
    } else {
      added.push_back({Kind::kBind, top, host});
      dirs_to_create_.push_back(host);
    }
  }
  entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(insert_at), added.begin(), added.end());
}

Result<StepLayout> StepLayout::sandboxed(const StepSpec& spec, const StepPaths& paths, const std::string& shim_dir,
                                         const std::string& self_exe, const std::string& tool_exe,
                                         bool recorded) {
  StepLayout layout;
  layout.sandboxed_ = true;
  layout.own_network_ = spec.own_network;
  layout.paths_ = paths;

  std::vector<std::string> mount_points;
  for (const Mount& m : spec.mounts) mount_points.push_back(normalize_path(m.container_path));
  std::vector<std::string> new_paths = mount_points;
  new_paths.push_back(kScriptContainerPath);
  new_paths.push_back(kShimContainerDir);
  new_paths.push_back(kSelfContainerPath);
  new_paths.push_back(kToolContainerPath);
  if (recorded) new_paths.push_back(kRecordContainerDir);
  if (!spec.working_dir.empty()) new_paths.push_back(normalize_path(spec.working_dir));

  // A path created inside an existing host directory must not create it on
  // the host: that directory is rebuilt in the private root instead, its
  // entries bound one by one.
  std::vector<std::string> replicate;
  for (const std::string& target : new_paths) {
    if (exists(target)) continue;
    std::string ancestor = parent_of(target);
    while (ancestor != "/" && !exists(ancestor)) ancestor = parent_of(ancestor);
    if (ancestor == "/" || path_within(ancestor, "/tmp") || path_within(ancestor, "/proc") ||
        path_within(ancestor, "/dev")) {
      continue;
    }
    bool inside_mount = std::any_of(mount_points.begin(), mount_points.end(),
                                    [&](const std::string& mp) { return path_within(ancestor, mp); });
    if (inside_mount || !is_dir(ancestor)) continue;
    for (std::string dir = ancestor; dir != "/"; dir = parent_of(dir)) replicate.push_back(dir);
  }

  layout.plan_host_tree("/", replicate);
  layout.entries_.push_back({Kind::kDevBind, "/dev", "/dev"});
  layout.entries_.push_back({Kind::kBind, "/tmp", paths.tmp});
  if (!shim_dir.empty()) layout.entries_.push_back({Kind::kReadOnly, kShimContainerDir, shim_dir});
  if (spec.script_source) layout.entries_.push_back({Kind::kReadOnly, kScriptContainerPath, paths.script});
  if (!self_exe.empty()) layout.entries_.push_back({Kind::kReadOnly, kSelfContainerPath, self_exe});
  if (!tool_exe.empty()) layout.entries_.push_back({Kind::kReadOnly, kToolContainerPath, tool_exe});
  if (recorded) layout.entries_.push_back({Kind::kBind, kRecordContainerDir, paths.record});

  size_t before_mounts = layout.entries_.size();
  std::vector<Mount> mounts = spec.mounts;
  std::stable_sort(mounts.begin(), mounts.end(), [](const Mount& a, const Mount& b) {
    return normalize_path(a.container_path).size() < normalize_path(b.container_path).size();
  });
  for (const Mount& m : mounts) {
    if (!exists(m.host_path)) return not_found("mount source " + m.host_path + " does not exist");
    layout.entries_.push_back(
        {m.read_only ? Kind::kReadOnly : Kind::kBind, normalize_path(m.container_path), m.host_path});
  }

  layout.dirs_to_create_ = {paths.tmp};
  if (recorded) layout.dirs_to_create_.push_back(paths.record);
  layout.plan_private_paths(spec, before_mounts);
  layout.cwd_ = "/";
  if (!spec.working_dir.empty()) {
    layout.cwd_ = normalize_path(spec.working_dir);
    std::string host = layout.to_host(layout.cwd_);
    // Only private places are created; an existing host path is used as is.
    if (path_within(host, paths.dir) ||
        std::any_of(spec.mounts.begin(), spec.mounts.end(),
                    [&](const Mount& m) { return path_within(host, m.host_path); })) {
      layout.dirs_to_create_.push_back(host);
    }
  }
  return layout;
}

StepLayout StepLayout::direct(const StepSpec& spec, const StepPaths& paths) {
  StepLayout layout;
  layout.paths_ = paths;
  layout.entries_.push_back({Kind::kBind, "/tmp", paths.tmp});
  for (const Mount& m : spec.mounts) {
    layout.entries_.push_back({Kind::kBind, normalize_path(m.container_path), m.host_path});
  }
  layout.dirs_to_create_ = {paths.tmp, paths.work};
  layout.cwd_ = paths.work;
  if (!spec.working_dir.empty()) {
    if (is_dir(spec.working_dir)) {
      layout.cwd_ = spec.working_dir;
    } else {
      // A working directory the host lacks is the private one, files and all.
      layout.entries_.push_back({Kind::kBind, normalize_path(spec.working_dir), paths.work});
    }
  }
  return layout;
}

std::string StepLayout::to_host(const std::string& container_path) const {
  std::string path = normalize_path(container_path);
  const Entry* best = covering(path);
  if (!sandboxed_) {
    if (!best) return path;
    std::string mapped = best->host + path.substr(best->container.size());
    // Without a sandbox a program may still write the literal /tmp path.
    if (best->container == "/tmp" && !exists(mapped)) return path;
    return mapped;
  }
  if (!best) return paths_.rootfs + (path == "/" ? "" : path);
  // A host symlink resolves the same way on the host.
  if (best->kind == Kind::kSymlink) return path;
  return best->host + path.substr(best->container.size());
}

Status StepLayout::prepare() const {
  for (const std::string& dir : dirs_to_create_) SKIFF_RETURN_IF_ERROR(mkdir_all(dir));
  for (const Entry& e : entries_) {
    if (e.kind != Kind::kPrivateFile) continue;
    SKIFF_RETURN_IF_ERROR(mkdir_all(parent_of(e.host)));
    int fd = ::open(e.host.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return internal_error("cannot create " + e.host + ": " + std::strerror(errno));
    ::close(fd);
    // A bind mount needs the file to exist; a modification time at the epoch
    // tells afterwards that the step never wrote it.
    struct timespec epoch[2] = {{0, 0}, {0, 0}};
    ::utimensat(AT_FDCWD, e.host.c_str(), epoch, 0);
  }
  return Status::ok();
}

std::optional<std::string> StepLayout::resolve_links(const std::string& container_path) const {
  std::string path = normalize_path(container_path);
  if (!sandboxed_) return path;
  std::vector<std::string> rest = split(path, '/');
  std::reverse(rest.begin(), rest.end());  // next component last
  std::string done;  // resolved so far; "" is the root
  int links = 0;
  while (!rest.empty()) {
    std::string name = std::move(rest.back());
    rest.pop_back();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      done = done.substr(0, done.find_last_of('/') == std::string::npos ? 0 : done.find_last_of('/'));
      continue;
    }
    std::string next = done + "/" + name;
    std::string host = to_host(next);
    struct stat st{};
    if (::lstat(host.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      done = std::move(next);
      continue;
    }
    if (++links > 40) return std::nullopt;  // as the kernel's ELOOP
    char target[4096];
    ssize_t n = ::readlink(host.c_str(), target, sizeof target - 1);
    if (n <= 0) return std::nullopt;
    std::string link(target, static_cast<size_t>(n));
    if (link[0] == '/') done.clear();
    std::vector<std::string> parts = split(link, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) rest.push_back(*it);
  }
  return done.empty() ? "/" : done;
}

std::optional<std::string> StepLayout::read_output(const std::string& container_path) const {
  auto resolved = resolve_links(container_path);
  if (!resolved) return std::nullopt;
  std::string host = to_host(*resolved);
  struct stat st{};
  if (::stat(host.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return std::nullopt;
  const Entry* e = sandboxed_ ? covering(*resolved) : nullptr;
  if (e && e->kind == Kind::kPrivateFile && st.st_mtim.tv_sec == 0 && st.st_mtim.tv_nsec == 0) return std::nullopt;
  std::string content;
  if (!read_file(host, &content)) return std::nullopt;
  return content;
}

std::optional<std::string> StepLayout::output_location(const std::string& container_path) const {
  auto resolved = resolve_links(container_path);
  if (!resolved) return std::nullopt;
  std::string host = to_host(*resolved);
  struct stat st{};
  if (::stat(host.c_str(), &st) != 0) return std::nullopt;
  const Entry* e = sandboxed_ ? covering(*resolved) : nullptr;
  if (e && e->kind == Kind::kPrivateFile && e->container == *resolved && st.st_mtim.tv_sec == 0 &&
      st.st_mtim.tv_nsec == 0) {
    return std::nullopt;
  }
  return host;
}

std::vector<std::string> StepLayout::bwrap_options(bool detached, int info_fd) const {
  std::vector<std::string> args;
  for (const Entry& e : entries_) {
    switch (e.kind) {
      case Kind::kDevBind: args.insert(args.end(), {"--dev-bind", e.host, e.container}); break;
      case Kind::kBind:
      case Kind::kPrivateFile: args.insert(args.end(), {"--bind", e.host, e.container}); break;
      case Kind::kReadOnly: args.insert(args.end(), {"--ro-bind", e.host, e.container}); break;
      case Kind::kDir: args.insert(args.end(), {"--dir", e.container}); break;
      case Kind::kSymlink: args.insert(args.end(), {"--symlink", e.host, e.container}); break;
    }
  }
  // A pid namespace: when the step's main process ends, everything it
  // started ends with it, as in a container.
  args.insert(args.end(), {"--proc", "/proc", "--unshare-pid", "--new-session", "--chdir", cwd_});
  // bwrap brings the new namespace's loopback up; nothing else is in it.
  if (own_network_) args.push_back("--unshare-net");
  if (detached) args.push_back("--as-pid-1");
  else args.push_back("--die-with-parent");
  if (info_fd >= 0) args.insert(args.end(), {"--info-fd", std::to_string(info_fd)});
  return args;
}

std::string StepLayout::script_path() const { return sandboxed_ ? kScriptContainerPath : paths_.script; }

}  // namespace skiff::runtime::internal
