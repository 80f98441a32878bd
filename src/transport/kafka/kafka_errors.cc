#include "transport/kafka/kafka_errors.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>

namespace vimur::kafka {

std::string KafkaErrName(int err) {
  return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
}

void KafkaErrorDeleter::operator()(rd_kafka_error_s* e) const { rd_kafka_error_destroy(e); }

std::string DescribeKey(const void* data, size_t size) {
  if (data == nullptr) return "(null key)";
  const auto* bytes = static_cast<const unsigned char*>(data);
  bool printable =
      std::all_of(bytes, bytes + size, [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  constexpr size_t kMax = 120;
  std::string out;
  if (printable) {
    out.assign(reinterpret_cast<const char*>(bytes), std::min(size, kMax));
  } else {
    static const char kHex[] = "0123456789abcdef";
    out = "0x";
    for (size_t i = 0; i < std::min(size, kMax / 2); ++i) {
      out += kHex[bytes[i] >> 4];
      out += kHex[bytes[i] & 0xf];
    }
  }
  if (size > kMax / (printable ? 1 : 2)) out += "...";
  return out;
}

namespace {

// What to do about an error, appended to its message.
std::string Advice(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return "; raise the topic's max.message.bytes (and the producer's message.max.bytes), "
             "or exclude the large columns";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return "; grant the Kafka principal the missing ACL";
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return "; the broker's topic policy rejected the request: set per-topic overrides that "
             "satisfy it, or create the topic yourself";
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
      return "; a compacted topic needs a key: give the table a primary key or set the topic's "
             "cleanup.policy to delete";
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
      return "; another producer uses the same transactional id: run one instance per "
             "pipeline";
    default: return "";
  }
}

}  // namespace

Status KafkaErrorStatus(int code, const std::string& context) {
  auto err = static_cast<rd_kafka_resp_err_t>(code);
  std::string message = context + ": " + KafkaErrName(err) + Advice(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return Status::Ok();
    // Retriable: the cluster or the network is unavailable for now.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED: return Status::Unavailable(message);
    // Fatal: the user must change permissions, policies, sizes or topology.
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL: return Status::PermissionDenied(message);
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE: return Status::FailedPrecondition(message);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC: return Status::InvalidArgument(message);
    default: return Status::Internal(message);
  }
}

bool IsSecretProperty(const std::string& name) {
  for (const char* word : {"password", "secret", "key", "token", "sasl.jaas", "oauthbearer"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

Status TxnErrorStatus(const rd_kafka_error_t* error, const std::string& context) {
  Status s = KafkaErrorStatus(rd_kafka_error_code(error), context);
  return Status(s.code(), s.message() + " (" + rd_kafka_error_string(error) + ")");
}

}  // namespace vimur::kafka
