// Logging to stderr with a level and a timestamp; stdout is reserved for data and results.
// Secrets must never be passed to these functions: config values are redacted by callers.
#pragma once

#include <sstream>
#include <string>

namespace vimur {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool ParseLogLevel(const std::string& text, LogLevel* out);
void LogLine(LogLevel level, const std::string& message);

namespace detail {
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace detail

}  // namespace vimur

#define VIMUR_LOG(level)                                   \
  if (::vimur::LogLevel::level < ::vimur::GetLogLevel()) { \
  } else                                                   \
    ::vimur::detail::LogMessage(::vimur::LogLevel::level).stream()

#define LOG_DEBUG VIMUR_LOG(kDebug)
#define LOG_INFO VIMUR_LOG(kInfo)
#define LOG_WARN VIMUR_LOG(kWarn)
#define LOG_ERROR VIMUR_LOG(kError)
