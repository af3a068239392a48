// The HTTP side of `skiff server`: the only file that sees cpp-httplib.
#include <httplib.h>
#include <malloc.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>

#include "server/api.h"
#include "server/auth.h"
#include "server/list_index.h"
#include "server/server.h"

namespace skiff::server {

namespace {

const char kVersion[] = "v0.1.0";

std::string cookie_value(const std::string& header, const std::string& name) {
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(at, end - at);
    size_t start = pair.find_first_not_of(' ');
    if (start != std::string::npos && pair.compare(start, name.size() + 1, name + "=") == 0) {
      std::string value = pair.substr(start + name.size() + 1);
      // Set by a browser, the space after "Bearer" may come escaped.
      if (size_t space = value.find("%20"); space != std::string::npos) value.replace(space, 3, " ");
      return value;
    }
    at = end + 1;
  }
  return "";
}

Request to_request(const httplib::Request& in) {
  Request request;
  request.method = in.method;
  request.path = in.path;
  for (const auto& [key, value] : in.params) request.query.emplace(key, value);
  request.body = in.body;
  request.authorization = in.get_header_value("Authorization");
  // Argo's UI downloads artifacts with links, which carry its token as the
  // `authorization` cookie instead.
  if (request.authorization.empty()) request.authorization = cookie_value(in.get_header_value("Cookie"), "authorization");
  return request;
}

// Fills the index from the store and says what it cost: the heap it grew
// by (what decoding freed again excluded) and the time it added to the start.
Status load_list_index(ListIndex& index, store::Store& store) {
  const auto began = std::chrono::steady_clock::now();
  const struct mallinfo2 before = ::mallinfo2();
  if (Status loaded = index.load(store); !loaded) return loaded.with_context("list index");
  if (size_t held = index.size(); held > 0) {
    const struct mallinfo2 after = ::mallinfo2();
    const double grown = static_cast<double>(after.uordblks + after.hblkhd) -
                         static_cast<double>(before.uordblks + before.hblkhd);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
    std::fprintf(stderr, "skiff server: list index: %zu workflows, %.1f MB of heap, loaded in %.2f s\n", held,
                 grown / (1 << 20), took.count());
  }
  return Status::ok();
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  ListIndex list_index;  // outlives the store that keeps it current
  std::unique_ptr<store::Store> store;
  std::unique_ptr<controller::Service> service;
  std::unique_ptr<Context> context;
  std::optional<Auth> auth;
  Router router;
  httplib::Server http;
  std::thread listener;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;

  void serve(const httplib::Request& in, httplib::Response& out) {
    Request request = to_request(in);
    Response response;
    auto allowed = auth->authorize(request.authorization);
    if (!allowed) {
      response = error_response(allowed.status());
    } else {
      request.namespaces = *allowed;
      std::vector<std::string> methods;
      const Handler* handler = router.match(request, &methods);
      if (handler) {
        response = (*handler)(*context, request);
      } else if (!methods.empty()) {
        response.status = 405;
        response.body = Json{{"code", 12}, {"message", "Method Not Allowed"}}.dump();
      } else {
        response.status = 404;
        response.body = Json{{"code", 5}, {"message", "Not Found"}}.dump();
      }
    }
    out.status = response.status;
    for (const auto& [name, value] : response.headers) out.set_header(name, value);
    if (response.stream) {
      auto stream = std::move(response.stream);
      out.set_chunked_content_provider(response.content_type,
                                       [stream](size_t, httplib::DataSink& sink) {
                                         stream([&sink](const std::string& chunk) {
                                           return sink.is_writable() && sink.write(chunk.data(), chunk.size());
                                         });
                                         sink.done();
                                         return true;
                                       });
      return;
    }
    // Moved, not copied as set_content() would: a full list is megabytes.
    out.body = std::move(response.body);
    out.set_header("Content-Type", response.content_type);
  }
};

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto auth = Auth::create(options.auth_mode, options.address, options.tokens_file);
  if (!auth) return auth.status();
  impl->auth = std::move(*auth);

  auto store = store::open_sqlite({options.home + "/skiff.db"});
  if (!store) return store.status();
  // Filled before anything else writes: from here on every write goes
  // through IndexedStore, which keeps it current.
  if (options.list_index) {
    if (Status loaded = load_list_index(impl->list_index, **store); !loaded) return loaded;
    impl->store = std::make_unique<IndexedStore>(std::move(*store), impl->list_index);
  } else {
    impl->store = std::move(*store);
  }
  controller::ServiceOptions service_options;
  service_options.steps_dir = options.home + "/server/steps";
  service_options.cache_dir = options.home + "/server/cache";
  service_options.artifact_root = options.home + "/artifacts";
  service_options.self_exe = options.self_exe;
  service_options.sandbox = options.sandbox;
  service_options.max_running = options.max_running;
  service_options.config = options.config;
  auto service = controller::Service::start(*impl->store, service_options);
  if (!service) return service.status();
  impl->service = std::move(*service);
  impl->context.reset(new Context{*impl->store, *impl->service, options.config, options.config.namespace_,
                                  kVersion, &impl->stopping,
                                  options.list_index ? &impl->list_index : nullptr});

  add_workflow_routes(impl->router);
  add_template_routes(impl->router);
  add_info_routes(impl->router);
  add_stream_routes(impl->router);
  add_metrics_routes(impl->router);
  add_archive_routes(impl->router);
  add_artifact_routes(impl->router);

  Impl* raw = impl.get();
  // Watches and followed logs hold their thread for as long as they last.
  raw->http.new_task_queue = [] { return new httplib::ThreadPool(64); };
  // A response goes out as headers then body; with Nagle on, a client that
  // delays its ACK holds each small response back by tens of milliseconds.
  raw->http.set_tcp_nodelay(true);
  auto handler = [raw](const httplib::Request& in, httplib::Response& out) { raw->serve(in, out); };
  raw->http.Get(".*", handler);
  raw->http.Post(".*", handler);
  raw->http.Put(".*", handler);
  raw->http.Delete(".*", handler);
  raw->http.Patch(".*", handler);

  int port = options.port;
  if (port == 0) {
    port = raw->http.bind_to_any_port(options.address);
    if (port < 0) return Status(Code::kUnavailable, "cannot listen on " + options.address);
  } else if (!raw->http.bind_to_port(options.address, port)) {
    return Status(Code::kUnavailable, "cannot listen on " + options.address + ":" + std::to_string(port) +
                                          " (in use, or not an address of this machine)");
  }
  raw->options.port = port;
  raw->listener = std::thread([raw] { raw->http.listen_after_bind(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
  impl_->http.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
  impl_->service.reset();
  impl_->store.reset();
}

int Server::port() const { return impl_->options.port; }

void Server::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

void Server::stop() {
  impl_->stopping.store(true);
  std::lock_guard lock(impl_->mu);
  impl_->stopped = true;
  impl_->stopped_cv.notify_all();
}

}  // namespace skiff::server
