#include "core/config_table.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/config.h"
#include "core/config_reader.h"
#include "core/config_reference.h"

namespace vimur::config {
namespace {

void ForEachSection(const Section& section, const std::function<void(const Section&)>& visit) {
  visit(section);
  for (const Key& k : section.keys) {
    if (k.section != nullptr) ForEachSection(*k.section, visit);
  }
}

bool IsEmpty(const FieldRef& f) {
  return std::visit(
      [](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        return *p == T{};
      },
      f);
}

bool Equal(const FieldRef& a, const FieldRef& b) {
  return a.index() == b.index() &&
         std::visit([&](auto* p) { return *p == *std::get<decltype(p)>(b); }, a);
}

// The structs of config.h are built by hand in tests and tools: their defaults must be the
// table's, and a key without a default in the table must start empty.
TEST(ConfigTableTest, StructDefaultsAreTheTableDefaults) {
  int checked = 0;
  ForEachSection(PipelineTable(), [&](const Section& section) {
    std::shared_ptr<void> as_built = section.make();
    std::shared_ptr<void> from_table = section.make();
    ASSERT_TRUE(ApplyDefaults(section, from_table.get()).ok()) << section.path;
    for (const Key& k : section.keys) {
      if (!k.field) continue;
      std::string key = JoinKey(section.path, k.name);
      if (k.default_value.empty()) {
        EXPECT_TRUE(IsEmpty(k.field(as_built.get())))
            << key << " has a default in config.h but none in config_table.cc";
      } else {
        EXPECT_TRUE(Equal(k.field(as_built.get()), k.field(from_table.get())))
            << key << ": the default in config.h differs from the table's '" << k.default_value
            << "'";
      }
      ++checked;
    }
  });
  EXPECT_GT(checked, 40);
}

TEST(ConfigTableTest, EveryKeyIsDocumented) {
  ForEachSection(PipelineTable(), [&](const Section& section) {
    for (const Key& k : section.keys) {
      EXPECT_FALSE(k.doc.empty() && k.planned.empty()) << JoinKey(section.path, k.name);
    }
  });
}

// docs/configuration.md carries the reference generated from the table; this fails when
// either changed without the other.
TEST(ConfigTableTest, DocumentMatchesTable) {
  std::string path = std::string(VIMUR_SOURCE_DIR) + "/docs/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  auto documented = ExtractReference(text.str());
  ASSERT_TRUE(documented.ok()) << documented.status().ToString();
  EXPECT_EQ(*documented, ReferenceMarkdown())
      << "docs/configuration.md is out of date with src/core/config_table.cc; run "
         "`build/dev/vimur config-reference --write docs/configuration.md`";
  for (const char* key :
       {"`shutdown_timeout_s`", "`restart_max_attempts`", "`decimal_handling_mode`", "`tls.mode`",
        "`topic.partitions`", "`relations`", "`ttl_seconds`", "`retention_bytes`"}) {
    EXPECT_NE(documented->find(key), std::string::npos) << key;
  }
}

TEST(ConfigTableTest, ReplaceReferenceKeepsTheProse) {
  std::string doc =
      std::string("intro\n") + kReferenceBegin + "\nold\n" + kReferenceEnd + "\noutro\n";
  auto updated = ReplaceReference(doc, "new\n");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated,
            std::string("intro\n") + kReferenceBegin + "\nnew\n" + kReferenceEnd + "\noutro\n");
  EXPECT_FALSE(ReplaceReference("no markers", "x").ok());
}

struct Templated {
  std::string target;
  std::string password;
};

// A key holding a template of its own (e.g. a sink's `table: 'orders_${mod(id, 4)}'`) is
// kept as written; the others expand ${VAR}.
TEST(ConfigTableTest, VerbatimKeysAreNotExpanded) {
  setenv("VIMUR_TEST_TEMPLATE_PW", "pw", 1);
  Section section =
      MakeSection<Templated>("t", "", "",
                             {Text("target", &Templated::target).Verbatim().Doc("template"),
                              Text("password", &Templated::password).Doc("secret")});
  Templated out;
  Reader reader("t.yaml");
  Status s = reader.Read(
      section, YAML::Load("target: 'db${mod(user_id, 2)}'\npassword: ${VIMUR_TEST_TEMPLATE_PW}\n"),
      "", &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.target, "db${mod(user_id, 2)}");
  EXPECT_EQ(out.password, "pw");
}

// For every single-valued key of a source, a wrong value is refused naming the key, the line
// and what is expected.
TEST(ConfigTableTest, EveryBadValueNamesKeyAndLine) {
  const Section& sources = *PipelineTable().Find("sources")->section;
  int checked = 0;
  for (const Key& k : sources.keys) {
    std::string bad;
    switch (k.type) {
      case ValueType::kBool: bad = "maybe"; break;
      case ValueType::kInt: bad = std::to_string(k.max + 1); break;
      case ValueType::kChoice: bad = "nonsense"; break;
      default: continue;
    }
    std::string yaml = "name: shop\nsources:\n  - name: a\n    type: mysql\n    user: u\n    " +
                       k.name + ": " + bad + "\n";
    if (k.name == "type") {
      yaml = "name: shop\nsources:\n  - name: a\n    user: u\n    host: h\n    type: x\n";
    }
    auto config = LoadConfigText(yaml, "p.yaml");
    ASSERT_FALSE(config.ok()) << k.name;
    const std::string& m = config.status().message();
    EXPECT_NE(m.find("p.yaml:6: invalid value for 'sources[0]." + k.name + "': expected "),
              std::string::npos)
        << m;
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace vimur::config
