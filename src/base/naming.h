// Argo's naming rules for nodes and pods, shared by the engine (which
// assigns IDs) and the CLI (which prints pod names as `argo get` does).
#pragma once

#include <string>
#include <string_view>

namespace skiff {

// The node ID Argo derives from a node's name: the workflow name for the
// root node, else "<workflow>-<decimal FNV-1a 32-bit hash of the node name>".
std::string argo_node_id(std::string_view workflow_name, std::string_view node_name);

// The pod name (Argo's POD_NAMES=v2): "<workflow>-<template>-<hash>", the
// prefix cut to fit Kubernetes' 253-character limit; inline templates use
// the workflow name alone as prefix.
std::string argo_pod_name(std::string_view workflow_name, std::string_view node_name,
                          std::string_view template_name);

}  // namespace skiff
