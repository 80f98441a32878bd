// SqlSink: the `sql` sink. Applies Vimur's change events (JSON or Avro) as upserts and deletes to
// MariaDB/MySQL or PostgreSQL tables through the sink's routes, one target transaction per batch.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "sink/batch_loop.h"
#include "sink/sink.h"
#include "sink/sql/event_decoder.h"
#include "sink/sql/router.h"
#include "sink/sql/sink_event_decoder.h"
#include "sink/sql/target_writer.h"

namespace vimur::sink {

// Per batch: the final action of every place the batch touches (the last change of a key
// wins, so the per-key order of the input is kept), grouped by target.
struct ApplyPlan {
  std::map<std::string, std::map<std::string, WriteAction>> by_target;  // target -> place id
};

// Adds what `change` does to `plan`: an insert/update upserts its new place, an update whose
// routing or key columns changed also deletes its old place, a delete deletes its place. Rows
// outside the sink's filter are not upserted; an update that leaves the filter (and a snapshot
// read outside it) deletes its place.
Status PlanChange(const Router& router, RowChange change, const std::string& topic,
                  ApplyPlan* plan);

class SqlSink final : public Sink {
 public:
  // `avro_schemas`: reads Avro records directly with the registry's schemas (none: the input
  // hands on JSON).
  SqlSink(SinkConfig config, FormatConfig format, SchemaFetcher avro_schemas = nullptr);
  ~SqlSink() override;

  const std::string& name() const override { return config_.name; }
  Status Open() override;
  Status Run(RecordInput& input, const std::atomic<bool>& stop) override;

 private:
  // A batch decoded and planned: applied on a thread of its own while the next batch is read
  // and decoded.
  struct Prepared;

  // Decodes and routes `records`; a record that fails for good is dead-lettered or stops the
  // sink.
  Result<std::unique_ptr<PreparedBatch>> Prepare(const std::vector<InputRecord>& records,
                                                 RecordInput& input, int64_t* newest_ts,
                                                 const std::atomic<bool>& stop);
  // After a first attempt that did not pass: retries what may pass with backoff until it
  // succeeds, fails for good, or `stop`; a batch refused for good is applied record by record.
  Status Finish(const Prepared& batch, Status first, RecordInput& input,
                const std::atomic<bool>& stop);
  // Applies `plan` to every target it touches, retrying what may pass with backoff until it
  // succeeds, fails for good, or `stop`.
  Status ApplyWithRetry(const ApplyPlan& plan, RecordInput& input, const std::atomic<bool>& stop);
  Status ApplyOnce(const ApplyPlan& plan);
  // Warns once per source table about columns named in `columns` that its rows lack.
  void CheckColumns(const RowChange& change);

  SinkConfig config_;
  FormatConfig format_;
  SinkEventDecoder decoder_;
  std::unique_ptr<Router> router_;
  std::map<std::string, std::unique_ptr<TargetWriter>> writers_;
  std::set<std::string> checked_tables_;  // db.table whose columns CheckColumns looked at
};

}  // namespace vimur::sink
