#include "core/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vimur::metrics {
namespace {

const char* TypeText(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
    case Type::kInfo: return "gauge";
    case Type::kComputedGauge: return "gauge";
    case Type::kComputedCounter: return "counter";
  }
  return "untyped";
}

// HELP text escapes only backslash and newline.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendLabels(std::string* out, const Labels& labels, const std::string& extra_name = "",
                  const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return;
  *out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) *out += ',';
    first = false;
    *out += k + "=\"" + EscapeLabelValue(v) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) *out += ',';
    *out += extra_name + "=\"" + EscapeLabelValue(extra_value) + "\"";
  }
  *out += '}';
}

void AppendSample(std::string* out, const std::string& name, const Labels& labels, double value,
                  const std::string& extra_name = "", const std::string& extra_value = "") {
  *out += name;
  AppendLabels(out, labels, extra_name, extra_value);
  *out += ' ';
  *out += FormatValue(value);
  *out += '\n';
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

void Gauge::Add(double v) {
  double old = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<int64_t> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(int64_t v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

void Info::Set(std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  text_ = std::move(text);
}

std::string Info::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

Registry& Registry::Default() {
  static Registry* registry = new Registry();  // never destroyed: threads may update late
  return *registry;
}

Registry::Child& Registry::Find(const std::string& name, const std::string& help, Type type,
                                const Labels& labels) {
  Family& family = families_[name];
  if (family.children.empty() && family.help.empty()) {
    family.type = type;
    family.help = help;
  } else if (family.type != type) {
    // A programming error: one name, two types.
    std::fprintf(stderr, "metric %s registered with two types\n", name.c_str());
    std::abort();
  }
  for (auto& child : family.children) {
    if (child->labels == labels) return *child;
  }
  family.children.push_back(std::make_unique<Child>());
  family.children.back()->labels = labels;
  return *family.children.back();
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Child& c = Find(name, help, Type::kCounter, labels);
  if (!c.counter) c.counter = std::make_unique<Counter>();
  return *c.counter;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Child& c = Find(name, help, Type::kGauge, labels);
  if (!c.gauge) c.gauge = std::make_unique<Gauge>();
  return *c.gauge;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const Labels& labels, const std::vector<int64_t>& bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  Child& c = Find(name, help, Type::kHistogram, labels);
  if (!c.histogram) c.histogram = std::make_unique<Histogram>(bounds);
  return *c.histogram;
}

Info& Registry::GetInfo(const std::string& name, const std::string& help, const Labels& labels,
                        const std::string& value_label) {
  std::lock_guard<std::mutex> lock(mu_);
  Child& c = Find(name, help, Type::kInfo, labels);
  families_[name].value_label = value_label;
  if (!c.info) c.info = std::make_unique<Info>();
  return *c.info;
}

void Registry::AddComputed(const std::string& name, const std::string& help, const Labels& labels,
                           bool counter, std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  Child& c = Find(name, help, counter ? Type::kComputedCounter : Type::kComputedGauge, labels);
  c.computed = std::move(read);
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (family.children.empty()) continue;
    out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += "# TYPE " + name + " " + TypeText(family.type) + "\n";
    for (const auto& child : family.children) {
      switch (family.type) {
        case Type::kCounter:
          AppendSample(&out, name, child->labels, static_cast<double>(child->counter->value()));
          break;
        case Type::kGauge: AppendSample(&out, name, child->labels, child->gauge->value()); break;
        case Type::kInfo:
          AppendSample(&out, name, child->labels, 1, family.value_label, child->info->text());
          break;
        case Type::kComputedGauge:
        case Type::kComputedCounter:
          AppendSample(&out, name, child->labels, child->computed());
          break;
        case Type::kHistogram: {
          const Histogram& h = *child->histogram;
          // Read the buckets first: the count written after them is never below their sum.
          std::vector<uint64_t> counts = h.BucketCounts();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            std::string le = i < h.bounds().size() ? std::to_string(h.bounds()[i]) : "+Inf";
            AppendSample(&out, name + "_bucket", child->labels, static_cast<double>(cumulative),
                         "le", le);
          }
          AppendSample(&out, name + "_sum", child->labels, static_cast<double>(h.sum()));
          AppendSample(&out, name + "_count", child->labels, static_cast<double>(cumulative));
          break;
        }
      }
    }
  }
  return out;
}

std::vector<std::pair<Labels, double>> Registry::GaugeValues(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<Labels, double>> out;
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != Type::kGauge) return out;
  for (const auto& child : it->second.children) {
    out.emplace_back(child->labels, child->gauge->value());
  }
  return out;
}

}  // namespace vimur::metrics
