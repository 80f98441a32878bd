// Kafka errors as Status: which librdkafka codes are retriable (kUnavailable) and which are
// fatal, with advice on what to do; keys and secret properties made safe for messages.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/status.h"

struct rd_kafka_error_s;

namespace vimur::kafka {

// Maps a librdkafka error code to a Status: retriable codes (broker down, timeouts, leader
// changes) become kUnavailable; authorization, policy and size errors are fatal.
Status KafkaErrorStatus(int err, const std::string& context);

// A transactional API error (rd_kafka_error_t) as a Status, with librdkafka's description.
Status TxnErrorStatus(const rd_kafka_error_s* error, const std::string& context);

// True for librdkafka properties whose values must not appear in logs or errors.
bool IsSecretProperty(const std::string& name);

// A key for error messages: printable text as is, otherwise hex; both cut short.
std::string DescribeKey(const void* data, size_t size);

// librdkafka's name for an error code.
std::string KafkaErrName(int err);

struct KafkaErrorDeleter {
  void operator()(rd_kafka_error_s* e) const;
};
using KafkaErrorPtr = std::unique_ptr<rd_kafka_error_s, KafkaErrorDeleter>;

}  // namespace vimur::kafka
