// GroupMembership: membership of a Kafka consumer group on a small control topic, used to
// decide which of several processes runs each unit of work (high availability). The
// consumer reads nothing; it polls to keep its session, and the group's assignment (one
// partition per unit, cooperative-sticky so that a joining member takes nothing from the
// owner) says which units this process owns.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/status.h"

struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;

namespace vimur::kafka {

struct GroupMembershipOptions {
  std::string bootstrap_servers;
  std::map<std::string, std::string> client_config;  // TLS, SASL, socket properties
  std::string group;
  std::string topic;   // the control topic, created when missing
  int partitions = 1;  // one per unit
  int replication_factor = 1;
  int session_timeout_ms = 10000;
  int heartbeat_interval_ms = 1000;
  // How long a revocation (not a loss) waits for the unit to be released, so that the next
  // owner starts only after this one stopped.
  std::chrono::milliseconds release_timeout{30000};
};

class GroupMembership {
 public:
  explicit GroupMembership(GroupMembershipOptions options);
  ~GroupMembership();
  GroupMembership(const GroupMembership&) = delete;
  GroupMembership& operator=(const GroupMembership&) = delete;

  // Creates the control topic when missing, joins the group and polls on a thread of its own.
  // Gives up with kAborted as soon as `stop` is set (while the cluster does not answer).
  Status Start(const std::atomic<bool>& stop);
  // Leaves the group (the others rebalance at once rather than after session_timeout_ms).
  // Release every owned unit first: a revocation waits for it (release_timeout).
  void Stop();

  // True while the group assigns `partition` to this process. Turns false at once when the
  // assignment is revoked or lost (session timed out, coordinator unreachable).
  bool Owns(int partition) const;
  // Counts the assignments this process received (one per rebalance that gave it units).
  int64_t Assignments() const { return assignments_.load(); }
  // When this process asked to join the group.
  std::chrono::steady_clock::time_point joined_at() const { return joined_at_; }
  // Marks the unit on `partition` as running when it is owned (true); a revocation then
  // waits for Released(partition), so that the next owner starts only after it stopped.
  bool Acquire(int partition);
  // The unit on `partition` has stopped: a pending revocation may complete.
  void Released(int partition);
  // True after the last revocation was a loss (the session ended without a handover).
  bool lost() const { return lost_.load(); }

 private:
  Status CreateTopic(const std::atomic<bool>& stop);
  void PollLoop();
  void OnRebalance(int err, rd_kafka_topic_partition_list_s* partitions);
  static void RebalanceCallback(rd_kafka_s* rk, int err, rd_kafka_topic_partition_list_s* parts,
                                void* opaque);

  const GroupMembershipOptions options_;
  rd_kafka_s* consumer_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> assignments_{0};
  std::atomic<bool> lost_{false};
  std::chrono::steady_clock::time_point joined_at_;
  mutable std::mutex mu_;
  std::condition_variable released_cv_;
  std::set<int> owned_;    // mu_
  std::set<int> running_;  // mu_: owned units not yet released
};

}  // namespace vimur::kafka
