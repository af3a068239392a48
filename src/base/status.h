// Status and Result<T>: how every layer reports failure. Errors are values,
// never exceptions thrown across a layer boundary. Codes map onto the HTTP
// and gRPC codes Argo Server uses, so the server can pass them through.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace skiff {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // bad input: malformed YAML, unknown field, bad expression (HTTP 400)
  kNotFound,           // missing template, workflow, file (HTTP 404)
  kAlreadyExists,      // HTTP 409
  kFailedPrecondition, // operation not valid in the current state (HTTP 412)
  kUnauthenticated,    // HTTP 401
  kPermissionDenied,   // HTTP 403
  kResourceExhausted,  // limits hit: too deep, too large (HTTP 429)
  kInternal,           // a bug or an I/O failure (HTTP 500)
  kUnavailable,        // HTTP 503
  kCancelled,
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with where it happened ("templates[2].name: ...").
  Status with_context(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
inline Status not_found(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
inline Status internal_error(std::string msg) { return {Code::kInternal, std::move(msg)}; }
inline Status failed_precondition(std::string msg) { return {Code::kFailedPrecondition, std::move(msg)}; }
inline Status resource_exhausted(std::string msg) { return {Code::kResourceExhausted, std::move(msg)}; }

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}         // NOLINT: implicit by design

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace skiff

#define SKIFF_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::skiff::Status skiff_status_ = (expr);    \
    if (!skiff_status_.is_ok()) return skiff_status_; \
  } while (0)
