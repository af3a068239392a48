// Argo Server's artifact downloads, outside /api/v1 as Argo serves them:
//   /artifact-files/{namespace}/{workflows|archived-workflows}/{name or uid}/{nodeId}/{inputs|outputs}/{artifact}[/{file...}]
//   /artifacts/{namespace}/{name}/{nodeId}/{artifact}            (outputs)
//   /input-artifacts/{namespace}/{name}/{nodeId}/{artifact}
//   /artifacts-by-uid/{uid}/{nodeId}/{artifact}, /input-artifacts-by-uid/...
// The body is the object as the repository holds it (an archive stays
// packed); a directory stored file by file answers with a page of links to
// its entries. Errors are plain text, as Argo's artifact handlers write them.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "base/strings.h"
#include "server/api.h"

namespace skiff::server {

namespace {

Response text_error(const Status& status) {
  Response response = error_response(status);
  response.content_type = "text/plain; charset=utf-8";
  response.body = status.message() + "\n";
  return response;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string content_type_of(const std::string& file_name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".txt", "text/plain; charset=utf-8"}, {".log", "text/plain; charset=utf-8"},
      {".json", "application/json"},         {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},  {".csv", "text/csv; charset=utf-8"},
      {".xml", "text/xml; charset=utf-8"},   {".png", "image/png"},
      {".jpg", "image/jpeg"},                {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                 {".svg", "image/svg+xml"},
      {".pdf", "application/pdf"},           {".tgz", "application/gzip"},
      {".gz", "application/gzip"},           {".zip", "application/zip"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (ends_with(file_name, ext)) return type;
  }
  return "application/octet-stream";
}

// The Workflow object a download is about: live by namespace and name, or
// archived by uid.
Result<Json> find_workflow(Context& ctx, const Request& request, const std::string& namespace_, bool archived,
                           const std::string& id) {
  SKIFF_RETURN_IF_ERROR(check_namespace(request, namespace_));
  if (!archived) return ctx.service.get(namespace_, id);
  auto record = ctx.store.get_archived(id);
  if (!record) return record.status();
  if (record->namespace_ != namespace_) return not_found("archived workflow " + id + " not found in " + namespace_);
  return record->body;
}

// By uid: the archive first (where Argo looks), then the live workflows.
Result<Json> find_by_uid(Context& ctx, const Request& request, const std::string& uid) {
  if (auto record = ctx.store.get_archived(uid)) {
    SKIFF_RETURN_IF_ERROR(check_namespace(request, record->namespace_));
    return record->body;
  }
  auto live = ctx.store.get_workflow_by_uid(uid);
  if (!live) return not_found("workflow with uid " + uid + " not found");
  SKIFF_RETURN_IF_ERROR(check_namespace(request, live->namespace_));
  return ctx.service.get(live->namespace_, live->name);
}

Response download(Context& ctx, const Request& request, const Result<Json>& workflow, bool input,
                  const std::string& file) {
  if (!workflow) return text_error(workflow.status());
  auto fetched = ctx.service.download_artifact(*workflow, request.param("nodeId"), input, request.param("artifact"), file);
  if (!fetched) return text_error(fetched.status());
  // Removed once the response is done with it, sent or not.
  auto scratch = std::shared_ptr<const std::string>(new std::string(fetched->scratch_dir), [](const std::string* dir) {
    std::error_code ignored;
    std::filesystem::remove_all(*dir, ignored);
    delete dir;
  });
  Response response;
  if (fetched->path.empty()) {
    std::string base = request.path;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string page = "<html><body><ul>\n";
    for (const std::string& entry : fetched->listing) {
      page += "<li><a href=\"" + html_escape(base + "/" + entry) + "\">" + html_escape(entry) + "</a></li>\n";
    }
    page += "</ul></body></html>\n";
    response.content_type = "text/html; charset=utf-8";
    response.body = std::move(page);
    return response;
  }
  int fd = ::open(fetched->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text_error(internal_error("cannot read the fetched artifact"));
  auto file_fd = std::shared_ptr<int>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  response.content_type = content_type_of(fetched->file_name);
  response.headers = {
      {"Content-Disposition", "filename=\"" + fetched->file_name + "\""},
      // An artifact is whatever a step wrote: never let it run as a page of ours.
      {"Content-Security-Policy",
       "sandbox; base-uri 'none'; default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'"},
      {"X-Frame-Options", "SAMEORIGIN"},
  };
  response.stream = [file_fd, scratch](const ChunkWriter& write) {
    char buffer[64 * 1024];
    for (;;) {
      ssize_t n = ::read(*file_fd, buffer, sizeof buffer);
      if (n <= 0) return;
      if (!write(std::string(buffer, static_cast<size_t>(n)))) return;
    }
  };
  return response;
}

Response artifact_file(Context& ctx, const Request& request) {
  const std::string kind = request.param("kind");
  const std::string direction = request.param("direction");
  if (kind != "workflows" && kind != "workflow" && kind != "archived-workflows") {
    return text_error(invalid_argument("unknown workflow kind " + kind + ": want workflows or archived-workflows"));
  }
  if (direction != "inputs" && direction != "outputs") {
    return text_error(invalid_argument("unknown artifact direction " + direction + ": want inputs or outputs"));
  }
  auto workflow = find_workflow(ctx, request, request.param("namespace"), kind == "archived-workflows",
                                request.param("id"));
  return download(ctx, request, workflow, direction == "inputs", request.param("file"));
}

Handler by_name(bool input) {
  return [input](Context& ctx, const Request& request) {
    auto workflow = find_workflow(ctx, request, request.param("namespace"), false, request.param("name"));
    return download(ctx, request, workflow, input, "");
  };
}

Handler by_uid(bool input) {
  return [input](Context& ctx, const Request& request) {
    return download(ctx, request, find_by_uid(ctx, request, request.param("uid")), input, "");
  };
}

}  // namespace

void add_artifact_routes(Router& router) {
  const std::string file_route = "/artifact-files/{namespace}/{kind}/{id}/{nodeId}/{direction}/{artifact}";
  router.add("GET", file_route, artifact_file);
  router.add("GET", file_route + "/{file*}", artifact_file);
  router.add("GET", "/artifacts/{namespace}/{name}/{nodeId}/{artifact}", by_name(false));
  router.add("GET", "/input-artifacts/{namespace}/{name}/{nodeId}/{artifact}", by_name(true));
  router.add("GET", "/artifacts-by-uid/{uid}/{nodeId}/{artifact}", by_uid(false));
  router.add("GET", "/input-artifacts-by-uid/{uid}/{nodeId}/{artifact}", by_uid(true));
}

}  // namespace skiff::server
