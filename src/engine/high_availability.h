// High availability of `vimur run`: processes with the same configuration join one Kafka
// consumer group on a small control topic, and the group's assignment decides which process
// runs each unit. A unit is one partition of the control topic. The sources of a pipeline
// share one transport and one transactional producer, so they are one unit (partition 0);
// sinks are no unit: they read through consumer groups of their own, which already share the
// topics' partitions among the processes, so every process runs them.
#pragma once

#include <atomic>
#include <string>

#include "core/config.h"
#include "core/status.h"

namespace vimur {

// The units of work the group assigns, one partition of the control topic each.
enum class HaUnit { kSources };

// The control topic's partition of `unit`.
int HaPartitionOf(HaUnit unit);
// The unit on `partition`; false when the partition holds none (a topic made larger by hand).
bool HaUnitOf(int partition, HaUnit* unit);
// Its name in logs and metrics ("sources").
const char* HaUnitName(HaUnit unit);
// Partitions the control topic is created with: one per unit.
int HaControlTopicPartitions();

// True when `status` says another producer took over the transactional id (fenced).
bool IsFenced(const Status& status);

// Runs the sources of `config` whenever the group assigns them to this process, until `stop`:
// a standby waits (logging "standby: ..." and reporting vimur_ha_owner{unit="sources"} 0);
// the owner builds and runs the pipeline, resuming from the Kafka offsets topic as a restart
// does; a lost or revoked assignment stops it (lost: at once, revoked: draining first, so the
// next owner starts after it); a fenced producer gives the unit up. Returns OK when stopped,
// or the error of a pipeline that failed for another reason (the process then exits and
// leaves the group, which hands the sources to another process at once).
Status RunSourcesWithHighAvailability(const PipelineConfig& config, const std::atomic<bool>& stop);

}  // namespace vimur
