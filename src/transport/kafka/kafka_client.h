// Pieces every librdkafka client of the transport shares: a configuration holder whose errors
// never show secret values, and the log callback that routes librdkafka's lines to Vimur's log.
#pragma once

#include <map>
#include <string>

#include "core/status.h"

struct rd_kafka_conf_s;
struct rd_kafka_s;

namespace vimur::kafka {

// Owns an rd_kafka_conf_t until release() hands it to rd_kafka_new.
class KafkaConf {
 public:
  KafkaConf();
  ~KafkaConf();
  KafkaConf(const KafkaConf&) = delete;
  KafkaConf& operator=(const KafkaConf&) = delete;
  rd_kafka_conf_s* get() { return conf_; }
  rd_kafka_conf_s* release();
  // Sets one property; the error names the property, never a secret value.
  Status Set(const std::string& name, const std::string& value);

 private:
  rd_kafka_conf_s* conf_;
};

// librdkafka's log lines at Vimur's levels (connection failures, retried, are warnings).
void KafkaLogCallback(const rd_kafka_s* rk, int level, const char* facility, const char* message);

// The client properties a consumer or admin client needs too (TLS, SASL, socket, reconnect).
std::map<std::string, std::string> ConnectionProperties(
    const std::map<std::string, std::string>& client_config);

}  // namespace vimur::kafka
