// Benchmarks serializing one change event (key + envelope) of a typical 10-column row as Avro
// in the Confluent wire format (AvroEventSerializer, schema ids cached) next to Debezium JSON
// (DebeziumJsonSerializer) on the same events, in one run. Also counts heap allocations per
// event on the hot path. Target: >= 1M events/s on one core, Avro not slower than JSON.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "format/avro/avro_event_serializer.h"
#include "format/debezium_json.h"

namespace {

std::atomic<uint64_t> g_allocations{0};

}  // namespace

// Counting replacements of the global allocation functions (malloc/free underneath).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using namespace vimur;

class CountingRegistry : public avro::SchemaRegistryClient {
 public:
  Result<int32_t> Register(const std::string&, const std::string&) override { return ++next_; }
  int32_t next_ = 0;
};

ColumnSchema Col(const char* name, LogicalType type, bool nullable, bool key = false) {
  ColumnSchema c;
  c.name = name;
  c.type = type;
  c.nullable = nullable;
  c.in_primary_key = key;
  return c;
}

struct Fixture {
  std::shared_ptr<TableSchema> table = std::make_shared<TableSchema>();
  std::shared_ptr<SourceInfo> source = std::make_shared<SourceInfo>();
  std::vector<ChangeEvent> events;

  Fixture() {
    table->database = "shop";
    table->table = "orders";
    table->columns = {Col("id", LogicalType::kInt64, false, true),
                      Col("customer_id", LogicalType::kInt32, false),
                      Col("status", LogicalType::kEnum, false),
                      Col("note", LogicalType::kString, true),
                      Col("amount", LogicalType::kDecimal, false),
                      Col("qty", LogicalType::kInt16, false),
                      Col("weight", LogicalType::kDouble, true),
                      Col("created_at", LogicalType::kTimestampMillis, false),
                      Col("updated_at", LogicalType::kZonedTimestamp, true),
                      Col("ship_date", LogicalType::kDate, true)};
    table->columns[2].enum_values = {"new", "paid", "shipped"};
    table->columns[4].precision = 10;
    table->columns[4].scale = 2;
    table->key_columns = {0};
    source->connector = "mysql";
    source->name = "shop";
    source->ts_ms = 1714557600000;
    source->server_id = 5400;
    source->file = "binlog.000042";
    source->pos = 987654;
    source->gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:23";
    static const char* kNotes[] = {"leave at the door", "gift wrap", "call before delivery",
                                   "fragile"};
    static const char* kAmounts[] = {"19.99", "1234.50", "-5.00", "99999999.99"};
    for (int i = 0; i < 1024; ++i) {
      ChangeEvent e;
      e.op = i % 4 == 0 ? Op::kCreate : Op::kUpdate;
      e.table = table;
      e.source = source;
      e.row = static_cast<uint32_t>(i % 7);
      std::vector<Value> row = {Value::Int(1000000 + i),
                                Value::Int(4711 + i % 100),
                                Value::Text(i % 2 ? "paid" : "shipped"),
                                i % 5 ? Value::Text(kNotes[i % 4]) : Value::Null(),
                                Value::Text(kAmounts[i % 4]),
                                Value::Int(i % 12),
                                Value::Double(1.25 * i),
                                Value::Int(1714557600000 + i),
                                Value::Text("2024-05-01T10:00:00.120Z"),
                                Value::Int(19844 + i % 30)};
      e.after = row;
      if (e.op == Op::kUpdate) e.before = row;
      events.push_back(std::move(e));
    }
  }
};

struct Run {
  double events_per_s;
  double bytes_per_event;
  double allocations_per_event;
};

template <typename Fn>
Run Measure(const Fixture& f, size_t n, Fn&& encode) {
  size_t bytes = 0;
  for (size_t i = 0; i < 2048; ++i) bytes += encode(f.events[i % f.events.size()]);  // warm up
  bytes = 0;
  uint64_t allocations_before = g_allocations.load();
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) bytes += encode(f.events[i % f.events.size()]);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t allocations = g_allocations.load() - allocations_before;
  return {n / s, static_cast<double>(bytes) / n, static_cast<double>(allocations) / n};
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  Fixture f;

  avro::AvroEventSerializer avro_serializer({"shop", false}, std::make_shared<CountingRegistry>());
  ByteBuffer key;
  ByteBuffer value;
  auto avro = [&](const ChangeEvent& e) -> size_t {
    key.Clear();
    value.Clear();
    Result<bool> s1 = avro_serializer.AppendKey(e, &key);
    Status s2 = avro_serializer.AppendValue(e, 1714557601000, &value);
    if (!s1.ok() || !s2.ok()) {
      std::fprintf(stderr, "avro: %s %s\n", s1.status().ToString().c_str(), s2.ToString().c_str());
      std::exit(1);
    }
    return key.size() + value.size();
  };

  JsonFormatOptions json_options;
  json_options.topic_prefix = "shop";
  DebeziumJsonSerializer json_serializer(json_options);
  JsonBuffer json_key;
  JsonBuffer json_value;
  auto json = [&](const ChangeEvent& e) -> size_t {
    json_key.Clear();
    json_value.Clear();
    json_serializer.AppendKey(e, &json_key);
    json_serializer.AppendValue(e, 1714557601000, &json_value);
    return json_key.size() + json_value.size();
  };

  std::printf("events: %zu per run, %d runs, 10-column row (key + envelope)\n", n, repeats);
  std::vector<double> avro_rates, json_rates;
  Run a{}, j{};
  for (int r = 0; r < repeats; ++r) {
    a = Measure(f, n, avro);
    j = Measure(f, n, json);
    avro_rates.push_back(a.events_per_s);
    json_rates.push_back(j.events_per_s);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double am = median(avro_rates), jm = median(json_rates);
  std::printf("avro  %10.0f events/s  %6.1f bytes/event  %.3f allocations/event\n", am,
              a.bytes_per_event, a.allocations_per_event);
  std::printf("json  %10.0f events/s  %6.1f bytes/event  %.3f allocations/event\n", jm,
              j.bytes_per_event, j.allocations_per_event);
  std::printf("avro/json speed ratio %.2f\n", am / jm);
  return 0;
}
