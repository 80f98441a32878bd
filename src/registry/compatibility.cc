#include "registry/compatibility.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace vimur::registry {

using Kind = AvroNode::Kind;

const char* CompatibilityLevelName(CompatibilityLevel level) {
  switch (level) {
    case CompatibilityLevel::kNone: return "NONE";
    case CompatibilityLevel::kBackward: return "BACKWARD";
    case CompatibilityLevel::kBackwardTransitive: return "BACKWARD_TRANSITIVE";
    case CompatibilityLevel::kForward: return "FORWARD";
    case CompatibilityLevel::kForwardTransitive: return "FORWARD_TRANSITIVE";
    case CompatibilityLevel::kFull: return "FULL";
    case CompatibilityLevel::kFullTransitive: return "FULL_TRANSITIVE";
  }
  return "NONE";
}

std::optional<CompatibilityLevel> ParseCompatibilityLevel(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto level : {CompatibilityLevel::kNone, CompatibilityLevel::kBackward,
                     CompatibilityLevel::kBackwardTransitive, CompatibilityLevel::kForward,
                     CompatibilityLevel::kForwardTransitive, CompatibilityLevel::kFull,
                     CompatibilityLevel::kFullTransitive}) {
    if (upper == CompatibilityLevelName(level)) return level;
  }
  return std::nullopt;
}

namespace {

// Avro's schema resolution, reader against writer, collecting the reasons it fails.
class Resolver {
 public:
  void Check(const AvroNode& r, const AvroNode& w, const std::string& path) {
    if (!in_progress_.insert({&r, &w}).second) return;  // recursive types: assume it holds
    CheckNow(r, w, path);
    in_progress_.erase({&r, &w});
  }
  bool Compatible(const AvroNode& r, const AvroNode& w) {
    Resolver sub;
    sub.in_progress_ = in_progress_;
    sub.Check(r, w, "");
    return sub.messages.empty();
  }

  std::vector<std::string> messages;

 private:
  void Fail(const std::string& path, const std::string& what) {
    messages.push_back((path.empty() ? std::string("/") : path) + ": " + what);
  }
  static std::string Describe(const AvroNode& n) {
    return n.full_name.empty() ? AvroKindName(n.kind)
                               : std::string(AvroKindName(n.kind)) + " " + n.full_name;
  }
  static bool Promotable(Kind writer, Kind reader) {
    switch (writer) {
      case Kind::kInt:
        return reader == Kind::kLong || reader == Kind::kFloat || reader == Kind::kDouble;
      case Kind::kLong: return reader == Kind::kFloat || reader == Kind::kDouble;
      case Kind::kFloat: return reader == Kind::kDouble;
      case Kind::kString: return reader == Kind::kBytes;
      case Kind::kBytes: return reader == Kind::kString;
      default: return false;
    }
  }
  static bool NamesMatch(const AvroNode& r, const AvroNode& w) {
    if (r.short_name() == w.short_name()) return true;
    return std::find(r.aliases.begin(), r.aliases.end(), w.full_name) != r.aliases.end();
  }

  void CheckNow(const AvroNode& r, const AvroNode& w, const std::string& path) {
    if (w.kind == Kind::kUnion) {
      // Every branch the writer may have used must be readable.
      for (size_t i = 0; i < w.branches.size(); ++i) {
        if (r.kind == Kind::kUnion) {
          if (!ReaderUnionAccepts(r, *w.branches[i])) {
            Fail(path, "reader union lacks the writer's union branch " + Describe(*w.branches[i]));
          }
        } else {
          Check(r, *w.branches[i], path);
        }
      }
      return;
    }
    if (r.kind == Kind::kUnion) {
      if (!ReaderUnionAccepts(r, w)) {
        Fail(path, "reader union has no branch that can read the writer's " + Describe(w));
      }
      return;
    }
    if (r.kind != w.kind) {
      if (!Promotable(w.kind, r.kind)) {
        Fail(path, std::string("reader type ") + AvroKindName(r.kind) +
                       " cannot read the writer's " + AvroKindName(w.kind));
      }
      return;
    }
    switch (r.kind) {
      case Kind::kRecord: return CheckRecord(r, w, path);
      case Kind::kEnum:
        if (!NamesMatch(r, w)) return Fail(path, "enum name " + r.full_name + " != " + w.full_name);
        if (!r.has_enum_default) {
          for (const auto& s : w.symbols) {
            if (std::find(r.symbols.begin(), r.symbols.end(), s) == r.symbols.end()) {
              Fail(path, "reader enum lacks the writer's symbol " + s + " and has no default");
            }
          }
        }
        return;
      case Kind::kFixed:
        if (!NamesMatch(r, w))
          return Fail(path, "fixed name " + r.full_name + " != " + w.full_name);
        if (r.size != w.size) {
          Fail(path, "fixed size " + std::to_string(r.size) + " != " + std::to_string(w.size));
        }
        return;
      case Kind::kArray: return Check(*r.items, *w.items, path + "/items");
      case Kind::kMap: return Check(*r.items, *w.items, path + "/values");
      default: return;  // same primitive
    }
  }

  bool ReaderUnionAccepts(const AvroNode& r, const AvroNode& w) {
    for (const AvroNode* b : r.branches) {
      if (Compatible(*b, w)) return true;
    }
    return false;
  }

  void CheckRecord(const AvroNode& r, const AvroNode& w, const std::string& path) {
    if (!NamesMatch(r, w)) {
      return Fail(path, "record name " + r.full_name + " != " + w.full_name);
    }
    for (const auto& rf : r.fields) {
      const AvroNode::Field* wf = nullptr;
      for (const auto& f : w.fields) {
        if (f.name == rf.name) wf = &f;
      }
      for (size_t a = 0; wf == nullptr && a < rf.aliases.size(); ++a) {
        for (const auto& f : w.fields) {
          if (f.name == rf.aliases[a]) wf = &f;
        }
      }
      std::string p = path + "/" + rf.name;
      if (wf == nullptr) {
        if (!rf.has_default) Fail(p, "reader field " + rf.name + " is new and has no default");
        continue;
      }
      Check(*rf.type, *wf->type, p);
    }
  }

  std::set<std::pair<const AvroNode*, const AvroNode*>> in_progress_;
};

}  // namespace

std::vector<std::string> ReaderCanRead(const AvroSchema& reader, const AvroSchema& writer) {
  Resolver r;
  r.Check(reader.root(), writer.root(), "");
  return std::move(r.messages);
}

std::vector<std::string> CheckCompatibility(CompatibilityLevel level, const AvroSchema& candidate,
                                            const std::vector<const AvroSchema*>& existing) {
  std::vector<std::string> out;
  if (existing.empty() || level == CompatibilityLevel::kNone) return out;
  bool transitive = level == CompatibilityLevel::kBackwardTransitive ||
                    level == CompatibilityLevel::kForwardTransitive ||
                    level == CompatibilityLevel::kFullTransitive;
  bool backward =
      level != CompatibilityLevel::kForward && level != CompatibilityLevel::kForwardTransitive;
  bool forward =
      level != CompatibilityLevel::kBackward && level != CompatibilityLevel::kBackwardTransitive;
  size_t first = transitive ? 0 : existing.size() - 1;
  for (size_t i = existing.size(); i-- > first;) {
    const AvroSchema& old = *existing[i];
    std::string version =
        "version " + std::to_string(i + 1) + " of " + std::to_string(existing.size());
    if (backward) {
      for (auto& m : ReaderCanRead(candidate, old)) {
        out.push_back("BACKWARD: the new schema cannot read data written with " + version + ": " +
                      m);
      }
    }
    if (forward) {
      for (auto& m : ReaderCanRead(old, candidate)) {
        out.push_back("FORWARD: " + version +
                      " cannot read data written with the new schema: " + m);
      }
    }
  }
  return out;
}

}  // namespace vimur::registry
