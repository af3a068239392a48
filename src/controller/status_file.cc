// A local run's Workflow object on disk, for other processes to read.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "controller/controller.h"

namespace skiff::controller {

Status write_workflow_file(const std::string& run_dir, const Json& workflow) {
  const std::string path = run_dir + "/workflow.json";
  const std::string tmp = run_dir + "/.workflow.json.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << workflow.dump();
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

}  // namespace skiff::controller
