#include "transport/kafka/kafka_client.h"

#include <librdkafka/rdkafka.h>

#include <string_view>
#include <utility>

#include "core/logging.h"
#include "transport/kafka/kafka_errors.h"

namespace vimur::kafka {

KafkaConf::KafkaConf() : conf_(rd_kafka_conf_new()) {}

KafkaConf::~KafkaConf() {
  if (conf_) rd_kafka_conf_destroy(conf_);
}

rd_kafka_conf_t* KafkaConf::release() { return std::exchange(conf_, nullptr); }

Status KafkaConf::Set(const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf_, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    if (IsSecretProperty(name)) {
      return Status::InvalidArgument("kafka client property " + name +
                                     " was rejected (value not shown)");
    }
    return Status::InvalidArgument("kafka client property " + name + ": " + errstr);
  }
  return Status::Ok();
}

void KafkaLogCallback(const rd_kafka_t*, int level, const char* facility, const char* message) {
  std::string line = std::string("kafka: ") + facility + ": " + message;
  // Connection failures are logged at level 3 but are retried, so they are warnings.
  if (level <= 3 && std::string_view(facility) != "FAIL") {
    LOG_ERROR << line;
  } else if (level <= 4) {
    LOG_WARN << line;
  } else if (level <= 6) {
    LOG_INFO << line;
  } else {
    LOG_DEBUG << line;
  }
}

std::map<std::string, std::string> ConnectionProperties(
    const std::map<std::string, std::string>& client_config) {
  std::map<std::string, std::string> out;
  static const char* const kPrefixes[] = {"security.",   "ssl.",       "sasl.",
                                          "socket.",     "broker.",    "client.",
                                          "enable.ssl.", "reconnect.", "api.version"};
  for (const auto& [name, value] : client_config) {
    for (const char* prefix : kPrefixes) {
      if (name.rfind(prefix, 0) == 0) out[name] = value;
    }
  }
  return out;
}

}  // namespace vimur::kafka
