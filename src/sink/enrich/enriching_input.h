// EnrichingInput: a RecordInput that adds a sink's `enrich:` columns to each event's row images
// (by a cached back-query or a join against the latest rows of another topic) before the sink.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/regex_pattern.h"
#include "core/status.h"
#include "sink/enrich/back_query.h"
#include "sink/record_input.h"
#include "sink/search/join_store.h"

namespace vimur::sink {

class EnrichingInput : public RecordInput {
 public:
  // `input` must read the sink's topics and every `join`/`invalidate` topic (TopicsToRead);
  // the join store lives in `store_dir` (opened at Start when any enrichment joins).
  static Result<std::unique_ptr<EnrichingInput>> Make(std::unique_ptr<RecordInput> input,
                                                      const SinkConfig& sink,
                                                      std::string store_dir);
  // The sink's topic regexes plus those its enrichments read.
  static std::vector<std::string> TopicsToRead(const SinkConfig& sink);
  ~EnrichingInput() override;

  void ReadFromBeginning() override { input_->ReadFromBeginning(); }
  Status Start() override;
  // Records of topics only an enrichment reads update it and are not handed on (they are
  // acknowledged with the next batch). An unreachable back-query database is a retriable
  // error; the same records are enriched again on the next call.
  Result<std::vector<InputRecord>> Poll(size_t max_records,
                                        std::chrono::milliseconds max_wait) override;
  Status Acknowledge(const std::vector<InputRecord>& batch) override;
  void Wait(std::chrono::milliseconds how_long) override { input_->Wait(how_long); }
  Status DeadLetter(const InputRecord& record, const std::string& error) override {
    return input_->DeadLetter(record, error);
  }
  void Close() override { input_->Close(); }

 private:
  struct Enrichment {
    SinkEnrichConfig config;
    RegexList topics;  // empty: every topic of the sink
    std::unique_ptr<RegexPattern> join;
    std::unique_ptr<RegexPattern> invalidate;
    std::unique_ptr<BackQuery> query;
  };
  EnrichingInput(std::unique_ptr<RecordInput> input, const SinkConfig& sink, std::string store_dir);
  Result<std::vector<InputRecord>> EnrichBatch(const std::vector<InputRecord>& batch);
  Status Follow(Enrichment& e, const InputRecord& record);
  Status Enrich(InputRecord& record);

  std::unique_ptr<RecordInput> input_;
  std::string sink_name_;
  RegexList sink_topics_;
  std::vector<Enrichment> enrichments_;
  std::string store_dir_;
  std::unique_ptr<JoinStore> store_;
  bool rebuilding_ = false;
  std::vector<InputRecord> pending_;                             // polled, not yet handed on
  std::map<std::pair<std::string, int32_t>, InputRecord> held_;  // enrichment-only, to acknowledge
};

}  // namespace vimur::sink
