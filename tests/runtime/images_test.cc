#include <gtest/gtest.h>

#include "runtime/launch_plan.h"
#include "runtime/runtime.h"

namespace skiff::runtime {
namespace {

using Words = std::vector<std::string>;

TEST(Images, EntrypointsAndDefaultArgsOfKnownImages) {
  struct Case {
    std::string image;
    Words entrypoint;
    Words default_args;
  };
  const std::vector<Case> cases = {
      {"argoproj/argosay:v2", {"/skiff", "argosay"}, {}},
      {"docker.io/argoproj/argosay:v2.1", {"/skiff", "argosay"}, {}},
      {"argoproj/argosay:v1", {}, {"cowsay"}},
      {"docker/whalesay:latest", {"cowsay"}, {}},
      {"alpine:3.23", {}, {"/bin/sh"}},
      {"docker.io/library/busybox", {}, {"sh"}},
      {"python:alpine3.23", {}, {"python3"}},
      {"node:9.1-alpine", {}, {"node"}},
      {"golang:1.18", {}, {"bash"}},
      {"debian@sha256:0123", {}, {"bash"}},
      {"registry.example.com:5000/team/unknown:1", {}, {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(image_entrypoint(c.image, "/skiff"), c.entrypoint) << c.image;
    EXPECT_EQ(image_default_args(c.image, "/skiff"), c.default_args) << c.image;
  }
}

TEST(Images, ContainerWordsFollowKubernetesRules) {
  struct Case {
    std::string image;
    Words command;
    Words args;
    std::optional<std::string> script;
    Words expected;
  };
  const std::vector<Case> cases = {
      // args only: the image's entrypoint runs them
      {"argoproj/argosay:v2", {}, {"echo", "hi"}, {}, {"/skiff", "argosay", "echo", "hi"}},
      // no entrypoint: args are the command
      {"alpine", {}, {"echo", "hi"}, {}, {"echo", "hi"}},
      // neither: entrypoint and default args
      {"alpine", {}, {}, {}, {"/bin/sh"}},
      {"argoproj/argosay:v2", {}, {}, {}, {"/skiff", "argosay"}},
      // a command replaces the entrypoint
      {"argoproj/argosay:v2", {"sh", "-c"}, {"echo x"}, {}, {"sh", "-c", "echo x"}},
      // programs inside the image
      {"argoproj/argosay:v2", {"/argosay"}, {"echo", "x"}, {}, {"/skiff", "argosay", "echo", "x"}},
      {"alpine", {"/argosay"}, {}, {}, {"/argosay"}},
      // scripts: command, then the script's path, then args
      {"python:3", {"python"}, {"a"}, "print(1)", {"python", "/script", "a"}},
  };
  for (const Case& c : cases) {
    StepSpec spec;
    spec.image = c.image;
    spec.command = c.command;
    spec.args = c.args;
    spec.script_source = c.script;
    EXPECT_EQ(internal::container_words(spec, "/skiff", "", "/script"), c.expected) << c.image;
  }
}

TEST(ContainerWords, ArgosayRunsFromTheStepToolWhenThereIsOne) {
  StepSpec spec;
  spec.image = "argoproj/argosay:v2";
  spec.args = {"echo", "x"};
  EXPECT_EQ(internal::container_words(spec, "/skiff", "/skiff-step", ""),
            (std::vector<std::string>{"/skiff-step", "argosay", "echo", "x"}));
  spec.image = "argoproj/argoexec:latest";
  spec.args = {"version"};
  EXPECT_EQ(internal::container_words(spec, "/skiff", "/skiff-step", ""),
            (std::vector<std::string>{"/skiff", "version"}));
}

}  // namespace
}  // namespace skiff::runtime
