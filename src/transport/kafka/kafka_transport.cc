#include "transport/kafka/kafka_transport.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <climits>
#include <string_view>
#include <utility>

#include "core/logging.h"
#include "core/thread_name.h"
#include "transport/kafka/at_least_once_delivery.h"
#include "transport/kafka/exactly_once_delivery.h"
#include "transport/kafka/kafka_client.h"

namespace vimur::kafka {

namespace {

// Per-record bookkeeping librdkafka keeps besides key and value, counted in the window.
constexpr size_t kRecordOverhead = 64;
constexpr int kPollIntervalMs = 20;
constexpr auto kCloseTimeout = std::chrono::seconds(5);

// Properties Vimur sets itself because its guarantees depend on them.
const char* const kReservedProperties[] = {
    "bootstrap.servers",     "metadata.broker.list", "enable.idempotence", "acks",
    "request.required.acks", "partitioner",          "transactional.id"};

}  // namespace

KafkaTransport::KafkaTransport(KafkaTransportOptions options)
    : options_(std::move(options)),
      state_(options_),
      offsets_(options_, [this](const std::string& source, const Position& position) {
        return CommitPosition(source, position);
      }) {
  if (options_.exactly_once) {
    delivery_ = std::make_unique<ExactlyOnceDelivery>(&state_);
  } else {
    delivery_ = std::make_unique<AtLeastOnceDelivery>(&state_);
  }
}

KafkaTransport::~KafkaTransport() {
  Shutdown();
  delivery_->Stop();
  rd_kafka_t* producer = state_.producer;
  if (producer != nullptr && Unacknowledged() == 0) {
    // Give outstanding records a moment, then purge so every delivery report arrives. (With
    // batches still unacknowledged the stop gave up on them: purge at once.)
    rd_kafka_flush(producer, static_cast<int>(std::chrono::milliseconds(kCloseTimeout).count()));
  }
  stop_poll_ = true;
  if (poll_thread_.joinable()) poll_thread_.join();
  if (producer != nullptr) {
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    auto deadline = std::chrono::steady_clock::now() + kCloseTimeout;
    while (rd_kafka_outq_len(producer) > 0 && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(producer, kPollIntervalMs);
    }
    rd_kafka_poll(producer, 0);
    delivery_->Poll();
  }
  state_.FailAll(Status::Aborted("kafka transport closed before the batch was acknowledged"));
  topics_.reset();
  delivery_.reset();
  if (producer != nullptr) rd_kafka_destroy(producer);
  state_.producer = nullptr;
}

void KafkaTransport::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    state_.closing = true;
  }
  state_.space_cv.notify_all();
  state_.work_cv.notify_all();
  state_.drained_cv.notify_all();
}

size_t KafkaTransport::InFlightBytes() const {
  std::lock_guard<std::mutex> lock(state_.mu);
  return state_.in_flight_bytes;
}

size_t KafkaTransport::Unacknowledged() const {
  std::lock_guard<std::mutex> lock(state_.mu);
  return state_.unfinished;
}

Status KafkaTransport::BuildProducer() {
  KafkaConf conf;
  const size_t window_kb = options_.max_in_flight_bytes / 1024;
  // The window is the binding limit; librdkafka's queue only needs room for it plus the
  // offset records, so a full queue never becomes a second, hidden bound.
  const size_t queue_kb = std::min<size_t>(INT_MAX, window_kb * 2 + 4096);
  VIMUR_RETURN_IF_ERROR(conf.Set("queue.buffering.max.kbytes", std::to_string(queue_kb)));
  VIMUR_RETURN_IF_ERROR(conf.Set("queue.buffering.max.messages", "0"));
  VIMUR_RETURN_IF_ERROR(conf.Set("client.id", "vimur-" + options_.pipeline_name));
  // Reconnect soon after an outage ends (librdkafka backs off up to 10 s by default).
  VIMUR_RETURN_IF_ERROR(conf.Set("reconnect.backoff.max.ms", "2000"));
  VIMUR_RETURN_IF_ERROR(delivery_->Configure(
      [&](const std::string& name, const std::string& value) { return conf.Set(name, value); }));
  for (const auto& [name, value] : options_.client_config) {
    for (const char* reserved : kReservedProperties) {
      if (name == reserved) {
        return Status::InvalidArgument("kafka client property " + name +
                                       " is set by vimur (idempotent, acks=all, murmur2 "
                                       "placement); remove it from the transport config");
      }
    }
    VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
  }
  VIMUR_RETURN_IF_ERROR(conf.Set("bootstrap.servers", options_.bootstrap_servers));
  VIMUR_RETURN_IF_ERROR(conf.Set("enable.idempotence", "true"));
  VIMUR_RETURN_IF_ERROR(conf.Set("acks", "all"));
  // Java-compatible murmur2 for keys; null keys spread randomly like the Java client.
  VIMUR_RETURN_IF_ERROR(conf.Set("partitioner", "murmur2_random"));
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaTransport::DeliveryCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaTransport::ErrorCallback);
  rd_kafka_conf_set_log_cb(conf.get(), &KafkaLogCallback);

  char errstr[512];
  state_.producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (state_.producer == nullptr) {
    return Status::InvalidArgument(std::string("cannot create the kafka producer: ") + errstr);
  }
  conf.release();  // owned by the producer now
  return Status::Ok();
}

Status KafkaTransport::Start() {
  if (started_) return Status::FailedPrecondition("kafka transport started twice");
  if (options_.bootstrap_servers.empty()) {
    return Status::InvalidArgument("kafka transport: bootstrap_servers is empty");
  }
  if (options_.pipeline_name.empty()) {
    return Status::InvalidArgument("kafka transport: pipeline name is empty");
  }
  if (options_.partitions <= 0 || options_.replication_factor <= 0 ||
      options_.offsets_topic_partitions <= 0) {
    return Status::InvalidArgument(
        "kafka transport: partitions and replication_factor must be positive");
  }
  if (options_.max_in_flight_bytes == 0) {
    return Status::InvalidArgument("kafka transport: max_in_flight_bytes must be positive");
  }
  if (options_.offsets_topic.empty()) {
    return Status::InvalidArgument("kafka transport: offsets_topic is empty");
  }
  VIMUR_RETURN_IF_ERROR(BuildProducer());
  poll_thread_ = std::thread([this] {
    SetThreadName("kafka-poll");
    PollLoop();
  });
  topics_ = std::make_unique<TopicAdmin>(options_, state_.producer);
  VIMUR_ASSIGN_OR_RETURN(state_.offsets_topic,
                         topics_->Ensure(options_.offsets_topic, /*first_key_null=*/false,
                                         [this] { return state_.Closing(); }));
  VIMUR_RETURN_IF_ERROR(delivery_->Start());
  started_ = true;
  return Status::Ok();
}

Status KafkaTransport::CommitPosition(const std::string& source, const Position& position) {
  // An empty batch carries the position alone; the delivery strategy writes its offset record.
  OutgoingBatch batch;
  batch.source_name = source;
  batch.end = position;
  VIMUR_RETURN_IF_ERROR(Send(std::move(batch), nullptr));
  return Flush(options_.request_timeout);
}

Status KafkaTransport::Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) {
  if (!started_) return Status::FailedPrecondition("kafka transport not started");
  auto b = std::make_unique<Batch>();
  b->bytes = sizeof(Batch) + batch.source_name.size();
  b->topics.reserve(batch.records.size());
  std::optional<std::string_view> last_topic;  // records of one table follow each other
  rd_kafka_topic_t* handle = nullptr;
  for (const OutgoingRecord& r : batch.records) {
    b->bytes += kRecordOverhead + r.topic.size() + (r.key ? r.key->size() : 0) +
                (r.value ? r.value->size() : 0);
    if (last_topic != r.topic) {
      VIMUR_ASSIGN_OR_RETURN(handle, topics_->Ensure(r.topic, !r.key.has_value(),
                                                     [this] { return state_.Closing(); }));
      last_topic = r.topic;
    }
    b->topics.push_back(handle);
  }
  b->bytes += batch.bytes.capacity();  // the arena's unused tail is held as long
  b->remaining = batch.records.size();
  b->data = std::move(batch);
  b->on_acked = std::move(on_acked);
  Batch* raw = b.get();
  {
    std::unique_lock<std::mutex> lock(state_.mu);
    auto has_room = [&] {
      return state_.closing || !state_.fatal.ok() || state_.in_flight_bytes == 0 ||
             state_.in_flight_bytes + raw->bytes <= options_.max_in_flight_bytes;
    };
    if (options_.send_timeout) {
      if (!state_.space_cv.wait_for(lock, *options_.send_timeout, has_room)) {
        return Status::Unavailable("kafka: the in-flight window (" +
                                   std::to_string(options_.max_in_flight_bytes) +
                                   " bytes) stayed full; is the cluster reachable?");
      }
    } else {
      state_.space_cv.wait(lock, has_room);
    }
    if (!state_.fatal.ok()) return state_.fatal;
    if (state_.closing) return Status::Aborted("kafka transport is shutting down");
    state_.in_flight_bytes += raw->bytes;
    ++state_.unfinished;
    state_.queue.push_back(std::move(b));
  }
  delivery_->Queued(raw);
  return Status::Ok();
}

void KafkaTransport::DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* message,
                                      void* opaque) {
  static_cast<KafkaTransport*>(opaque)->OnDelivery(message);
}

void KafkaTransport::OnDelivery(const rd_kafka_message_t* message) {
  Status status;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string topic = message->rkt ? rd_kafka_topic_name(message->rkt) : "?";
    status = KafkaErrorStatus(message->err, "kafka: delivering to topic " + topic + ", key " +
                                                DescribeKey(message->key, message->key_len));
  }
  delivery_->Delivered(static_cast<Tracked*>(message->_private), status, message->err);
}

void KafkaTransport::ErrorCallback(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaTransport*>(opaque)->OnError(err, reason);
}

void KafkaTransport::OnError(int err, const char* reason) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(state_.producer, detail, sizeof(detail));
    Status s = KafkaErrorStatus(fatal, "kafka producer failed");
    s = Status(s.code(), s.message() + " (" + detail + ")");
    LOG_ERROR << s.ToString();
    std::lock_guard<std::mutex> lock(state_.mu);
    if (state_.fatal.ok()) state_.fatal = s;
    return;
  }
  // Connection trouble repeats every retry; log each kind once until it changes.
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    if (err == last_logged_error_) return;
    last_logged_error_ = err;
  }
  LOG_WARN << "kafka: " << KafkaErrName(err) << ": " << reason << " (retrying)";
}

void KafkaTransport::PollLoop() {
  while (!stop_poll_) {
    rd_kafka_poll(state_.producer, kPollIntervalMs);
    delivery_->Poll();
  }
}

Status KafkaTransport::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_.mu);
  state_.flushing = true;
  state_.work_cv.notify_all();
  const bool drained = state_.drained_cv.wait_for(
      lock, timeout, [&] { return state_.unfinished == 0 || state_.closing; });
  state_.flushing = false;
  if (!drained) {
    return Status::Unavailable("kafka: " + std::to_string(state_.unfinished) +
                               " batches not acknowledged after " +
                               std::to_string(timeout.count()) + " ms");
  }
  if (!state_.fatal.ok()) return state_.fatal;
  if (state_.unfinished != 0) return Status::Aborted("kafka transport is shutting down");
  return Status::Ok();
}

}  // namespace vimur::kafka
