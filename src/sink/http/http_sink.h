// HttpSink: the `http` sink. POSTs each batch of events as JSON arrays to a URL, split by record
// key into at most `max_in_flight` concurrent requests; retries with backoff, then `on_error`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "sink/http/http_body.h"
#include "sink/http/http_poster.h"
#include "sink/sink.h"

namespace vimur::sink {

class HttpSink final : public Sink {
 public:
  explicit HttpSink(SinkConfig config);
  ~HttpSink() override;

  const std::string& name() const override { return config_.name; }
  Status Open() override;
  Status Run(RecordInput& input, const std::atomic<bool>& stop) override;

 private:
  Status Process(const std::vector<InputRecord>& batch, RecordInput& input,
                 const std::atomic<bool>& stop, int64_t* newest_ts);
  HttpRequest MakeRequest(const HttpGroup& group) const;

  SinkConfig config_;
  std::unique_ptr<HttpPoster> poster_;
};

}  // namespace vimur::sink
