#include "source/mysql/ddl_targets.h"

#include <cctype>

namespace vimur::mysql {
namespace {

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view sql) : sql_(sql) {}

  // The next word or quoted identifier; "" at the end. Comments are skipped.
  std::string Next() {
    SkipSpaceAndComments();
    if (pos_ >= sql_.size()) return "";
    char c = sql_[pos_];
    if (c == '`' || c == '"') {
      std::string out;
      ++pos_;
      while (pos_ < sql_.size()) {
        if (sql_[pos_] == c) {
          if (pos_ + 1 < sql_.size() && sql_[pos_ + 1] == c) {
            out.push_back(c);
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        out.push_back(sql_[pos_++]);
      }
      last_quoted_ = true;
      return out;
    }
    last_quoted_ = false;
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
        static_cast<unsigned char>(c) >= 0x80) {
      size_t start = pos_;
      while (pos_ < sql_.size()) {
        unsigned char d = static_cast<unsigned char>(sql_[pos_]);
        if (!(std::isalnum(d) || d == '_' || d == '$' || d >= 0x80)) break;
        ++pos_;
      }
      return std::string(sql_.substr(start, pos_ - start));
    }
    ++pos_;
    return std::string(1, c);
  }
  bool PeekChar(char c) {
    SkipSpaceAndComments();
    return pos_ < sql_.size() && sql_[pos_] == c;
  }
  bool last_quoted() const { return last_quoted_; }

 private:
  void SkipSpaceAndComments() {
    while (pos_ < sql_.size()) {
      if (std::isspace(static_cast<unsigned char>(sql_[pos_]))) {
        ++pos_;
      } else if (sql_.substr(pos_, 2) == "/*") {
        // MariaDB/MySQL executable comments /*!50100 ... */ hold SQL: read through them.
        if (sql_.substr(pos_, 3) == "/*!" || sql_.substr(pos_, 3) == "/*M") {
          pos_ += 3;
          while (pos_ < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[pos_]))) ++pos_;
          continue;
        }
        size_t end = sql_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? sql_.size() : end + 2;
      } else if (sql_.substr(pos_, 2) == "*/") {
        pos_ += 2;
      } else if (sql_.substr(pos_, 2) == "--" || sql_[pos_] == '#') {
        size_t end = sql_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? sql_.size() : end + 1;
      } else {
        break;
      }
    }
  }

  std::string_view sql_;
  size_t pos_ = 0;
  bool last_quoted_ = false;
};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Reads `name` or `db.name`; returns "db.table", or "" at the end of the statement.
std::string ReadQualifiedName(Tokenizer& t, std::string_view default_database) {
  std::string first = t.Next();
  if (first.empty() || (first.size() == 1 && !t.last_quoted() &&
                        !std::isalnum(static_cast<unsigned char>(first[0])))) {
    return "";
  }
  if (t.PeekChar('.')) {
    t.Next();
    return first + "." + t.Next();
  }
  return std::string(default_database) + "." + first;
}

}  // namespace

bool IsAccountStatement(std::string_view sql) {
  Tokenizer t(sql);
  const std::string verb = Upper(t.Next());
  if (verb == "GRANT" || verb == "REVOKE") return true;
  std::string word = Upper(t.Next());
  if (verb == "SET") {
    // SET PASSWORD [FOR ...] = ..., SET ROLE ..., SET DEFAULT ROLE ...
    return word == "PASSWORD" || word == "ROLE" || (word == "DEFAULT" && Upper(t.Next()) == "ROLE");
  }
  if (verb != "CREATE" && verb != "ALTER" && verb != "DROP" && verb != "RENAME") return false;
  if (word == "OR") {  // CREATE OR REPLACE USER / ROLE / SERVER
    t.Next();
    word = Upper(t.Next());
  }
  return word == "USER" || word == "ROLE" || word == "SERVER";
}

DdlTargets ExtractDdlTargets(std::string_view sql, std::string_view default_database) {
  DdlTargets out;
  out.database = std::string(default_database);
  Tokenizer t(sql);
  const std::string verb = Upper(t.Next());
  if (verb != "ALTER" && verb != "CREATE" && verb != "DROP" && verb != "TRUNCATE" &&
      verb != "RENAME") {
    return out;
  }
  // Find the object keyword, skipping modifiers (TEMPORARY, ONLINE, OR REPLACE, ...).
  std::string word = Upper(t.Next());
  for (int i = 0; i < 4 && word != "TABLE" && word != "DATABASE" && word != "SCHEMA"; ++i) {
    if (verb == "TRUNCATE") break;  // TRUNCATE [TABLE] name
    word = Upper(t.Next());
  }
  if (word == "DATABASE" || word == "SCHEMA") {
    std::string name = t.Next();
    if (Upper(name) == "IF") {
      name = t.Next();                     // NOT or EXISTS
      if (Upper(name) == "NOT") t.Next();  // EXISTS
      name = t.Next();
    }
    if (!name.empty()) out.database = name;
    return out;
  }
  if (word != "TABLE" && verb != "TRUNCATE") return out;
  Tokenizer names(sql);
  // Position `names` right after the keyword; TRUNCATE without TABLE names the table next.
  names.Next();
  if (word == "TABLE") {
    for (std::string w = Upper(names.Next()); !w.empty() && w != "TABLE";) {
      w = Upper(names.Next());
    }
  }
  while (true) {
    if (names.PeekChar('I') || names.PeekChar('i')) {
      // Possibly IF [NOT] EXISTS.
      Tokenizer probe = names;
      if (Upper(probe.Next()) == "IF") {
        std::string next = Upper(probe.Next());
        if (next == "NOT") probe.Next();
        names = probe;
      }
    }
    std::string name = ReadQualifiedName(names, default_database);
    if (name.empty()) break;
    out.tables.push_back(name);
    std::string sep = Upper(names.Next());  // DROP TABLE a, b / RENAME TABLE a TO b, c TO d
    if (sep != "," && sep != "TO") break;
  }
  if (!out.tables.empty()) {
    out.database = out.tables.front().substr(0, out.tables.front().find('.'));
  }
  return out;
}

}  // namespace vimur::mysql
