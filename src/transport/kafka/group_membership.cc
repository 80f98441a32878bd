#include "transport/kafka/group_membership.h"

#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

#include "core/logging.h"
#include "core/thread_name.h"
#include "transport/kafka/kafka_client.h"
#include "transport/kafka/kafka_errors.h"

namespace vimur::kafka {

GroupMembership::GroupMembership(GroupMembershipOptions options) : options_(std::move(options)) {}

GroupMembership::~GroupMembership() { Stop(); }

Status GroupMembership::Start(const std::atomic<bool>& stop) {
  KafkaConf conf;
  std::map<std::string, std::string> props = ConnectionProperties(options_.client_config);
  props["bootstrap.servers"] = options_.bootstrap_servers;
  props["group.id"] = options_.group;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["auto.offset.reset"] = "latest";
  props["allow.auto.create.topics"] = "false";
  props["session.timeout.ms"] = std::to_string(options_.session_timeout_ms);
  props["heartbeat.interval.ms"] = std::to_string(options_.heartbeat_interval_ms);
  // Sticky: a member that joins (a restarted standby) takes nothing away from the owner.
  props["partition.assignment.strategy"] = "cooperative-sticky";
  // Nothing is fetched: the control topic stays empty.
  props["enable.partition.eof"] = "false";
  for (const auto& [name, value] : props) VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
  rd_kafka_conf_set_log_cb(conf.get(), KafkaLogCallback);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(
      conf.get(),
      [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
         void* opaque) { RebalanceCallback(rk, static_cast<int>(err), parts, opaque); });
  char errstr[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (consumer_ == nullptr) {
    return Status::InvalidArgument("high availability: cannot create the Kafka consumer: " +
                                   std::string(errstr));
  }
  conf.release();
  rd_kafka_poll_set_consumer(consumer_);
  VIMUR_RETURN_IF_ERROR(CreateTopic(stop));
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(err, "high availability: subscribing to " + options_.topic);
  }
  joined_at_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    SetThreadName("ha-member");
    PollLoop();
  });
  LOG_INFO << "high availability: joined consumer group " << options_.group << " on "
           << options_.topic << " (session_timeout_ms=" << options_.session_timeout_ms << ")";
  return Status::Ok();
}

Status GroupMembership::CreateTopic(const std::atomic<bool>& stop) {
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(options_.topic.c_str(), options_.partitions,
                            options_.replication_factor, errstr, sizeof(errstr));
  if (topic == nullptr) {
    return Status::InvalidArgument("high availability: topic " + options_.topic + ": " + errstr);
  }
  rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "compact");
  rd_kafka_AdminOptions_t* admin =
      rd_kafka_AdminOptions_new(consumer_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(admin, 30000, errstr, sizeof(errstr));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer_);
  rd_kafka_CreateTopics(consumer_, &topic, 1, admin, queue);
  // Waited for in slices, so that a stop is not held up by a cluster that does not answer.
  rd_kafka_event_t* event = nullptr;
  const auto answer_by = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (event == nullptr && !stop.load() && std::chrono::steady_clock::now() < answer_by) {
    event = rd_kafka_queue_poll(queue, 100);
  }
  Status status;
  if (event == nullptr && stop.load()) {
    status = Status::Aborted("high availability: stopped while creating topic " + options_.topic);
  } else if (event == nullptr) {
    status = Status::Unavailable("high availability: creating topic " + options_.topic +
                                 ": no answer from the cluster at " + options_.bootstrap_servers);
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = KafkaErrorStatus(rd_kafka_event_error(event),
                              "high availability: creating topic " + options_.topic);
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        LOG_INFO << "high availability: created control topic " << options_.topic << " ("
                 << options_.partitions << " partition(s))";
      } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = KafkaErrorStatus(err, "high availability: creating topic " + options_.topic);
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_NewTopic_destroy(topic);
  return status;
}

void GroupMembership::PollLoop() {
  while (!stop_.load()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      // Right after the control topic was created, until the metadata shows it.
      LOG_DEBUG << "high availability: " << rd_kafka_message_errstr(message);
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
               message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      LOG_WARN << "high availability: consumer group " << options_.group << ": "
               << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
}

void GroupMembership::RebalanceCallback(rd_kafka_t*, int err,
                                        rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<GroupMembership*>(opaque)->OnRebalance(err, parts);
}

void GroupMembership::OnRebalance(int err, rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative = std::string(rd_kafka_rebalance_protocol(consumer_)) == "COOPERATIVE";
  std::vector<int> partitions;
  for (int i = 0; i < parts->cnt; ++i) partitions.push_back(parts->elems[i].partition);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    KafkaErrorPtr error;
    if (cooperative) {
      error.reset(rd_kafka_incremental_assign(consumer_, parts));
    } else {
      rd_kafka_assign(consumer_, parts);
    }
    if (error) {
      LOG_WARN << "high availability: assigning: " << rd_kafka_error_string(error.get());
    }
    if (!partitions.empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        owned_.insert(partitions.begin(), partitions.end());
        lost_ = false;
      }
      ++assignments_;
    }
    return;
  }
  if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    // Anything else ends the assignment as a loss would.
    LOG_WARN << "high availability: rebalance of group " << options_.group << ": "
             << KafkaErrName(err) << "; giving up every unit";
    {
      std::lock_guard<std::mutex> lock(mu_);
      owned_.clear();
      lost_ = true;
    }
    rd_kafka_assign(consumer_, nullptr);
    return;
  }
  // Revoked (a handover: wait until the units stopped) or lost (the session ended: others
  // may run them already; they stop at once, nothing is waited for).
  const bool lost = rd_kafka_assignment_lost(consumer_) != 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (int p : partitions) owned_.erase(p);
    if (lost) lost_ = true;
    if (!lost && !partitions.empty()) {
      const bool released = released_cv_.wait_for(lock, options_.release_timeout, [&] {
        for (int p : partitions) {
          if (running_.count(p) != 0) return false;
        }
        return true;
      });
      if (!released) {
        LOG_WARN << "high availability: units still running after "
                 << options_.release_timeout.count() << " ms; handing them over anyway";
      }
    }
  }
  if (cooperative) {
    KafkaErrorPtr error(rd_kafka_incremental_unassign(consumer_, parts));
  } else {
    rd_kafka_assign(consumer_, nullptr);
  }
}

bool GroupMembership::Owns(int partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  return owned_.count(partition) != 0;
}

bool GroupMembership::Acquire(int partition) {
  std::lock_guard<std::mutex> lock(mu_);
  if (owned_.count(partition) == 0) return false;
  running_.insert(partition);
  return true;
}

void GroupMembership::Released(int partition) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(partition);
  }
  released_cv_.notify_all();
}

void GroupMembership::Stop() {
  if (consumer_ == nullptr) return;
  // Closing leaves the group: its revocation runs on this thread, inside the close.
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
  consumer_ = nullptr;
}

}  // namespace vimur::kafka
