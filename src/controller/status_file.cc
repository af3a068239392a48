// A local run's Workflow object on disk, for other processes to read.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>

#include "controller/controller.h"

namespace skiff::controller {

namespace {

// Writes the file through `fill` into a temporary beside it, then renames it
// over the old one.
Status replace_workflow_file(const std::string& run_dir, const std::function<void(std::ofstream&)>& fill) {
  const std::string path = run_dir + "/workflow.json";
  const std::string tmp = run_dir + "/.workflow.json.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    fill(out);
    out.flush();
    if (!out) return internal_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    return internal_error("cannot create " + path + ": " + std::strerror(e));
  }
  return Status::ok();
}

}  // namespace

Status write_workflow_file(const std::string& run_dir, const Json& workflow) {
  return replace_workflow_file(run_dir, [&workflow](std::ofstream& out) { out << workflow.dump(); });
}

Status write_workflow_file(const std::string& run_dir, const engine::Engine& engine, Time now) {
  return replace_workflow_file(run_dir, [&](std::ofstream& out) {
    engine.write_json(now, [&out](std::string_view piece) { out.write(piece.data(), static_cast<std::streamsize>(piece.size())); });
  });
}

}  // namespace skiff::controller
