// /api/v1/info, /api/v1/version, /api/v1/userinfo.
#include "server/api.h"

namespace skiff::server {

namespace {

Response info(Context& ctx, const Request&) {
  Json out = Json::object();
  if (!ctx.managed_namespace.empty()) out["managedNamespace"] = ctx.managed_namespace;
  out["links"] = ctx.config.links.is_array() ? ctx.config.links : Json::array();
  out["columns"] = ctx.config.columns.is_array() ? ctx.config.columns : Json::array();
  out["navColor"] = ctx.config.nav_color;
  out["modals"] = Json::object();
  return json_response(out);
}

Response version(Context& ctx, const Request&) {
  return json_response({{"version", ctx.version},
                        {"buildDate", ""},
                        {"gitCommit", ""},
                        {"gitTag", ctx.version},
                        {"gitTreeState", ""},
                        {"goVersion", ""},
                        {"compiler", "c++20"},
                        {"platform", "linux/amd64"}});
}

Response userinfo(Context&, const Request& request) {
  Json out = Json::object();
  if (request.namespaces) {
    out["subject"] = "token";
    out["serviceAccountNamespace"] = request.namespaces->empty() ? "" : *request.namespaces->begin();
  }
  return json_response(out);
}

}  // namespace

void add_info_routes(Router& router) {
  router.add("GET", "/api/v1/info", info);
  router.add("GET", "/api/v1/version", version);
  router.add("GET", "/api/v1/userinfo", userinfo);
}

}  // namespace skiff::server
