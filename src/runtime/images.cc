// Entrypoints of well-known images. The local runtime does not pull images:
// it runs the command on the host, so a container that relies on its image's
// ENTRYPOINT/CMD needs to know what that would have been.
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace skiff::runtime {
namespace {

// "docker.io/library/python:3.12-alpine@sha256:..." -> {"python", "3.12-alpine"}.
struct ImageRef {
  std::string repository;
  std::string tag;
};

ImageRef parse_image(std::string_view image) {
  if (size_t at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  std::string_view tag;
  size_t last_slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    tag = image.substr(colon + 1);
    image = image.substr(0, colon);
  }
  // A first component with a dot or a port is a registry host.
  if (size_t slash = image.find('/'); slash != std::string_view::npos) {
    std::string_view first = image.substr(0, slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      image = image.substr(slash + 1);
    }
  }
  if (image.substr(0, 8) == "library/") image = image.substr(8);
  return {std::string(image), std::string(tag)};
}

// `<self>` in a command stands for the skiff executable, `<tool>` for the
// small step tool beside it (argosay starts in a fraction of the time
// there), or skiff itself when the tool is not installed.
constexpr std::string_view kSelf = "<self>";
constexpr std::string_view kTool = "<tool>";

struct KnownImage {
  std::string_view repository;
  std::string_view tag_prefix;  // empty: any tag
  std::vector<std::string_view> entrypoint;
  std::vector<std::string_view> default_args;
  // Programs inside the image that a command may name (e.g. `/argosay`),
  // and what runs them on the host.
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> programs = {};
};

const std::vector<KnownImage>& known_images() {
  static const std::vector<KnownImage> table = {
      // v1 is Ubuntu with cowsay and CMD ["cowsay"]; v2 is the argosay tool.
      {"argoproj/argosay", "v1", {}, {"cowsay"}},
      {"argoproj/argosay",
       "",
       {kTool, "argosay"},
       {},
       {{"/argosay", {kTool, "argosay"}}, {"argosay", {kTool, "argosay"}}}},
      {"docker/whalesay", "", {"cowsay"}, {}},
      // Argo's executor image: skiff is its own executor (`argoexec agent ...`).
      {"argoproj/argoexec", "", {kSelf}, {}, {{"argoexec", {kSelf}}}},
      {"alpine", "", {}, {"/bin/sh"}},
      {"busybox", "", {}, {"sh"}},
      {"ubuntu", "", {}, {"bash"}},
      {"debian", "", {}, {"bash"}},
      {"python", "", {}, {"python3"}},
      {"node", "", {}, {"node"}},
      {"golang", "", {}, {"bash"}},
      {"curlimages/curl", "", {"curl"}, {}},
      {"stedolan/jq", "", {"jq"}, {}},
  };
  return table;
}

const KnownImage* find_image(const std::string& image) {
  ImageRef ref = parse_image(image);
  for (const KnownImage& known : known_images()) {
    if (known.repository != ref.repository) continue;
    if (!known.tag_prefix.empty() && ref.tag.compare(0, known.tag_prefix.size(), known.tag_prefix) != 0) continue;
    return &known;
  }
  return nullptr;
}

std::vector<std::string> expand(const std::vector<std::string_view>& words, const std::string& self_exe,
                                const std::string& tool_exe) {
  std::vector<std::string> out;
  for (std::string_view word : words) {
    if (word == kSelf) {
      out.push_back(self_exe);
    } else if (word == kTool) {
      out.push_back(tool_exe.empty() ? self_exe : tool_exe);
    } else {
      out.emplace_back(word);
    }
  }
  return out;
}

}  // namespace

namespace internal {

std::vector<std::string> image_program(const std::string& image, const std::string& program,
                                       const std::string& self_exe, const std::string& tool_exe) {
  const KnownImage* known = find_image(image);
  if (!known) return {};
  for (const auto& [name, words] : known->programs) {
    if (name == program) return expand(words, self_exe, tool_exe);
  }
  return {};
}

}  // namespace internal

std::vector<std::string> image_entrypoint(const std::string& image, const std::string& self_exe,
                                          const std::string& tool_exe) {
  const KnownImage* known = find_image(image);
  return known ? expand(known->entrypoint, self_exe, tool_exe) : std::vector<std::string>{};
}

std::vector<std::string> image_default_args(const std::string& image, const std::string& self_exe,
                                            const std::string& tool_exe) {
  const KnownImage* known = find_image(image);
  return known ? expand(known->default_args, self_exe, tool_exe) : std::vector<std::string>{};
}

}  // namespace skiff::runtime
