// Status and Result<T>: how every module boundary reports success or a described failure.
// A Status is cheap to copy when OK; errors carry a code and a message for the user.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vimur {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // bad configuration or request: the user must change something
  kCorruption,       // bytes from outside that do not parse
  kUnderflow,        // input ended before a complete record
  kNotFound,
  kUnsupported,
  kIoError,             // retriable: network or disk trouble
  kUnavailable,         // retriable: service down, will come back
  kFailedPrecondition,  // server setting or state makes the operation impossible
  kPermissionDenied,
  kAborted,  // stopped on request
  kInternal,
};

const char* StatusCodeName(StatusCode code);

// True when retrying the same operation later may succeed.
constexpr bool IsRetriable(StatusCode code) {
  switch (code) {
    case StatusCode::kIoError:
    case StatusCode::kUnavailable: return true;
    case StatusCode::kOk:
    case StatusCode::kInvalidArgument:
    case StatusCode::kCorruption:
    case StatusCode::kUnderflow:
    case StatusCode::kNotFound:
    case StatusCode::kUnsupported:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kPermissionDenied:
    case StatusCode::kAborted:
    case StatusCode::kInternal: return false;
  }
  return false;
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : state_(code == StatusCode::kOk ? nullptr
                                       : std::make_shared<State>(State{code, std::move(message)})) {
  }

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Underflow(std::string m) { return {StatusCode::kUnderflow, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const {
    static const std::string kEmpty;
    return state_ ? state_->message : kEmpty;
  }
  bool retriable() const { return IsRetriable(code()); }
  // "Corruption: message"
  std::string ToString() const;
  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status::Internal("Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
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

}  // namespace vimur

#define VIMUR_CONCAT_INNER(a, b) a##b
#define VIMUR_CONCAT(a, b) VIMUR_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when it is not OK.
#define VIMUR_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::vimur::Status vimur_status_ = (expr);        \
    if (!vimur_status_.ok()) return vimur_status_; \
  } while (0)

// `VIMUR_ASSIGN_OR_RETURN(auto x, F());` binds the value or returns the error.
#define VIMUR_ASSIGN_OR_RETURN(lhs, expr) \
  VIMUR_ASSIGN_OR_RETURN_IMPL(VIMUR_CONCAT(vimur_result_, __LINE__), lhs, expr)
#define VIMUR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
