#include "engine/high_availability.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <thread>

#include "core/logging.h"
#include "core/metrics.h"
#include "engine/pipeline.h"
#include "transport/kafka/group_membership.h"

namespace vimur {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

metrics::Gauge& OwnerGauge(HaUnit unit) {
  return metrics::Registry::Default().GetGauge(
      "vimur_ha_owner",
      "High availability: 1 when the consumer group assigns the unit to this process, 0 on a "
      "standby",
      {{"unit", HaUnitName(unit)}});
}

// How one ownership of the sources ended.
enum class TermEnd { kStopped, kLost, kFenced, kFailed };

struct Term {
  TermEnd end = TermEnd::kStopped;
  Status status;
};

// Runs the pipeline once, while this process owns the sources.
Term RunTerm(const PipelineConfig& config, kafka::GroupMembership& membership,
             const std::atomic<bool>& stop) {
  const int partition = HaPartitionOf(HaUnit::kSources);
  auto parts = BuildPipelineParts(config);
  if (!parts.ok()) return {TermEnd::kFailed, parts.status()};
  Pipeline pipeline(config, std::move(parts).value());
  std::atomic<bool> term_stop{false};
  std::atomic<bool> done{false};
  std::atomic<bool> lost{false};
  std::thread watch([&] {
    while (!done.load()) {
      if (stop.load()) {
        term_stop = true;
      } else if (!lost.load() && !membership.Owns(partition)) {
        lost = true;
        if (membership.lost()) {
          LOG_WARN << "high availability: the group session of " << config.name
                   << " was lost (no answer from the coordinator within session_timeout_ms); "
                      "stopping the sources at once, another process takes them over";
          pipeline.Abandon();
        } else {
          LOG_INFO << "high availability: the group moves the sources of " << config.name
                   << " to another process; stopping them";
        }
        term_stop = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Status status = pipeline.Run(term_stop);
  done = true;
  watch.join();
  if (stop.load() && !lost.load()) return {TermEnd::kStopped, status};
  if (IsFenced(status)) return {TermEnd::kFenced, status};
  if (lost.load()) return {TermEnd::kLost, status};
  return {status.ok() ? TermEnd::kStopped : TermEnd::kFailed, status};
}

}  // namespace

int HaPartitionOf(HaUnit unit) {
  switch (unit) {
    case HaUnit::kSources: return 0;
  }
  return -1;
}

bool HaUnitOf(int partition, HaUnit* unit) {
  if (partition == 0) {
    *unit = HaUnit::kSources;
    return true;
  }
  return false;
}

const char* HaUnitName(HaUnit unit) {
  switch (unit) {
    case HaUnit::kSources: return "sources";
  }
  return "unknown";
}

int HaControlTopicPartitions() { return 1; }

bool IsFenced(const Status& status) {
  if (status.code() != StatusCode::kFailedPrecondition) return false;
  // librdkafka's names (_FENCED, PRODUCER_FENCED) or its description ("has been fenced").
  std::string m = status.message();
  for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return m.find("fenced") != std::string::npos ||
         m.find("invalid_producer_epoch") != std::string::npos;
}

Status RunSourcesWithHighAvailability(const PipelineConfig& config, const std::atomic<bool>& stop) {
  const HighAvailabilityConfig& ha = config.high_availability;
  kafka::GroupMembershipOptions o;
  o.bootstrap_servers = config.transport.bootstrap_servers;
  o.client_config = config.transport.client_config;
  o.group = ha.group;
  o.topic = ha.topic;
  o.partitions = HaControlTopicPartitions();
  o.replication_factor = config.transport.topic.replication_factor;
  o.session_timeout_ms = ha.session_timeout_ms;
  o.heartbeat_interval_ms = ha.heartbeat_interval_ms;
  o.release_timeout = std::chrono::seconds(config.shutdown_timeout_s + 5);
  // Joining waits for the cluster like the transport does: a retriable failure (Kafka not up
  // yet) is retried until it answers or the process is stopped.
  std::unique_ptr<kafka::GroupMembership> joined;
  for (auto backoff = std::chrono::milliseconds(1000);;) {
    joined = std::make_unique<kafka::GroupMembership>(o);
    Status started = joined->Start(stop);
    if (started.ok()) break;
    if (stop.load()) return Status::Ok();
    if (!started.retriable()) return started;
    LOG_WARN << started.message() << "; joining again in " << backoff.count() << " ms";
    const auto wake = Clock::now() + backoff;
    while (Clock::now() < wake) {
      if (stop.load()) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
  }
  kafka::GroupMembership& membership = *joined;
  metrics::Gauge& owner = OwnerGauge(HaUnit::kSources);
  owner.Set(0);
  const int partition = HaPartitionOf(HaUnit::kSources);
  bool waiting_said = false;
  Status result;
  while (!stop.load()) {
    if (!membership.Acquire(partition)) {
      if (!waiting_said) {
        LOG_INFO << "standby: the sources of " << config.name
                 << " run in another process of consumer group " << ha.group
                 << "; this one takes them over when the group assigns them here";
        waiting_said = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    waiting_said = false;
    owner.Set(1);
    LOG_INFO << "high availability: took over sources of " << config.name << " (assignment "
             << membership.Assignments() << " of this process) " << MsSince(membership.joined_at())
             << " ms after joining group " << ha.group;
    Term term = RunTerm(config, membership, stop);
    owner.Set(0);
    membership.Released(partition);
    if (term.end == TermEnd::kStopped) {
      result = term.status;
      break;
    }
    if (term.end == TermEnd::kFailed) {
      result = term.status;
      break;
    }
    if (term.end == TermEnd::kFenced) {
      LOG_ERROR << "high availability: fenced: another process took over the transactional id "
                   "of "
                << config.name << "; this one stopped publishing and gives up the sources: "
                << term.status.message();
      // The group has moved the sources already, or does so within the session timeout; a
      // producer outside the group (a process without high_availability) is an error.
      const auto give_up_at = Clock::now() + std::chrono::milliseconds(2 * ha.session_timeout_ms);
      while (membership.Owns(partition) && Clock::now() < give_up_at && !stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (membership.Owns(partition) && !stop.load()) {
        result = term.status.WithContext(
            "the group still assigns the sources here: a process outside consumer group " +
            ha.group +
            " uses the same transactional id (run every instance with "
            "high_availability)");
        break;
      }
      continue;
    }
    LOG_INFO << "high availability: gave up the sources of " << config.name
             << (term.status.ok() ? std::string() : " (" + term.status.message() + ")");
  }
  membership.Stop();
  return result;
}

}  // namespace vimur
