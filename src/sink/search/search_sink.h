// SearchSink: the `search` sink. Keeps one OpenSearch document per root row, joined with its
// related rows from a local LMDB store, re-indexing every document a change touches (`_bulk`).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "sink/batch_loop.h"
#include "sink/search/document_builder.h"
#include "sink/search/join_store.h"
#include "sink/search/search_client.h"
#include "sink/search/search_plan.h"
#include "sink/sink.h"
#include "sink/sql/sink_event_decoder.h"

namespace vimur::sink {

class SearchSink final : public Sink {
 public:
  // `store_dir`: where the join store lives (STATE_DIR/PIPELINE/sinks/NAME).
  // `avro_schemas`: reads Avro records directly (none: the input hands on JSON).
  SearchSink(SinkConfig config, std::string store_dir, SchemaFetcher avro_schemas = nullptr);
  ~SearchSink() override;

  const std::string& name() const override { return config_.name; }
  Status Open() override;
  // Opens the join store (creating it marks it for a rebuild), then reads and indexes.
  Status Run(RecordInput& input, const std::atomic<bool>& stop) override;
  // GET / of the node once, for `vimur check`.
  Status Reach();

 private:
  struct Prepared;
  // Stores the batch's rows and assembles the documents they touch (the loop's thread),
  // retrying a back-query database that does not answer.
  Result<std::unique_ptr<PreparedBatch>> Prepare(const std::vector<InputRecord>& batch,
                                                 RecordInput& input, const std::atomic<bool>& stop,
                                                 int64_t* newest_ts);
  // Stores the batch's rows and returns the documents it touches, in one store transaction.
  Result<std::vector<DocumentAction>> Update(const std::vector<InputRecord>& batch,
                                             RecordInput& input, int64_t* newest_ts);
  // Posts the documents once (a thread of its own).
  void Attempt(Prepared& prepared);
  // Sends `actions` until each is done or refused (refused ones go to on_error); `first` is the
  // answer to an attempt already made.
  Status Send(const std::vector<DocumentAction>& actions, std::optional<HttpAnswer> first,
              RecordInput& input, const std::atomic<bool>& stop);
  Status OpenStore();
  // Creates the index (with `mappings`) when it does not exist, retrying a node that is down.
  Status EnsureIndex(const std::atomic<bool>& stop);

  SinkConfig config_;
  std::string store_dir_;
  std::unique_ptr<SearchPlan> plan_;
  std::unique_ptr<JoinStore> store_;
  SinkEventDecoder decoder_;
  std::unique_ptr<SearchClient> client_;
  bool rebuilding_ = false;  // the store is being rebuilt from the topics' start
  uint64_t batches_ = 0;     // batches applied by this run (the loop's thread)
};

}  // namespace vimur::sink
