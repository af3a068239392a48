#include "spec/spec.h"
#include "spec/decode.h"

namespace skiff::spec {

std::string Location::to_string() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

void SourceMap::add(std::string pointer, int line, int column) {
  positions_.emplace(std::move(pointer), std::make_pair(line, column));
}

Location SourceMap::find(const std::string& file, std::string_view pointer) const {
  std::string p(pointer);
  while (true) {
    auto it = positions_.find(p);
    if (it != positions_.end()) return Location{file, it->second.first, it->second.second};
    if (p.empty()) return Location{file, 0, 0};
    auto slash = p.rfind('/');
    p = slash == std::string::npos ? std::string() : p.substr(0, slash);
  }
}

std::string Object::name() const {
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return "";
  auto n = meta->find("name");
  return n != meta->end() && n->is_string() ? n->get<std::string>() : "";
}

std::string Object::namespace_() const {
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return "";
  auto n = meta->find("namespace");
  return n != meta->end() && n->is_string() ? n->get<std::string>() : "";
}

Location Object::locate(std::string_view pointer) const {
  if (!positions) return Location{file, 0, 0};
  return positions->find(file, pointer);
}

namespace detail {
std::string field_path(std::string_view pointer) {
  std::string out;
  size_t i = 0;
  while (i < pointer.size()) {
    size_t next = pointer.find('/', i + 1);
    std::string_view part = pointer.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
    bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
    if (index) {
      out += "[" + std::string(part) + "]";
    } else {
      if (!out.empty()) out += ".";
      std::string unescaped(part);
      for (size_t k = 0; (k = unescaped.find("~1", k)) != std::string::npos;) unescaped.replace(k, 2, "/");
      for (size_t k = 0; (k = unescaped.find("~0", k)) != std::string::npos;) unescaped.replace(k, 2, "~");
      out += unescaped;
    }
    if (next == std::string_view::npos) break;
    i = next;
  }
  return out;
}
}  // namespace detail

Status Object::error_at(std::string_view pointer, const std::string& message) const {
  std::string where = locate(pointer).to_string();
  std::string field = detail::field_path(pointer);
  return invalid_argument(where + ": " + (field.empty() ? "" : field + ": ") + message);
}

}  // namespace skiff::spec
