#include "sink/sql/row_filter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace vimur::sink {

struct RowFilter::Node {
  enum Kind { kAnd, kOr, kNot, kCompare, kIn, kIsNull } kind = kCompare;
  enum Op { kEq, kNe, kLt, kLe, kGt, kGe } op = kEq;
  bool negated = false;  // kIn: `not in`; kIsNull: `is not null`
  std::string column;
  struct Literal {
    std::string text;
    bool number = false;
  };
  std::vector<Literal> literals;                      // kCompare: one; kIn: the list
  std::vector<std::shared_ptr<const Node>> operands;  // kAnd, kOr: two; kNot: one
};

namespace {

using Node = RowFilter::Node;
constexpr int kMaxDepth = 64;

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Token {
  enum Kind { kEnd, kName, kQuotedName, kNumber, kString, kSymbol } kind = kEnd;
  std::string text;  // kName: as written; kSymbol: the operator or punctuation
  size_t at = 0;     // 0-based offset in the filter
  bool Is(const char* keyword) const { return kind == kName && Lower(text) == keyword; }
  bool IsSymbol(const char* s) const { return kind == kSymbol && text == s; }
  std::string Shown() const {
    switch (kind) {
      case kEnd: return "the end";
      case kString: return "'" + text + "'";
      case kQuotedName: return "`" + text + "`";
      case kName:
      case kNumber:
      case kSymbol: return "'" + text + "'";
    }
    return "'" + text + "'";
  }
};

// Plain decimal text: [+-]digits[.digits] (also ".5" and "5.").
bool PlainDecimal(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !dot) {
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits = true;
    } else {
      return false;
    }
  }
  return digits;
}

bool ReadsAsNumber(const std::string& s, long double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  char* end = nullptr;
  long double v = std::strtold(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return false;
  std::string lower = Lower(s);
  if (lower.find("inf") != std::string::npos || lower.find("nan") != std::string::npos ||
      lower.find('x') != std::string::npos) {
    return false;
  }
  *out = v;
  return true;
}

// Exact comparison of two plain decimals of any length.
int CompareDecimals(const std::string& a, const std::string& b) {
  struct Parts {
    bool negative = false;
    std::string integer, fraction;
  };
  auto split = [](const std::string& s) {
    Parts p;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+') p.negative = s[i++] == '-';
    size_t dot = s.find('.', i);
    p.integer = s.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (dot != std::string::npos) p.fraction = s.substr(dot + 1);
    p.integer.erase(0, std::min(p.integer.find_first_not_of('0'), p.integer.size()));
    while (!p.fraction.empty() && p.fraction.back() == '0') p.fraction.pop_back();
    if (p.integer.empty() && p.fraction.empty()) p.negative = false;  // -0 is 0
    return p;
  };
  Parts x = split(a), y = split(b);
  if (x.negative != y.negative) return x.negative ? -1 : 1;
  int magnitude = 0;
  if (x.integer.size() != y.integer.size()) {
    magnitude = x.integer.size() < y.integer.size() ? -1 : 1;
  } else if (int c = x.integer.compare(y.integer); c != 0) {
    magnitude = c < 0 ? -1 : 1;
  } else {
    size_t n = std::max(x.fraction.size(), y.fraction.size());
    x.fraction.resize(n, '0');
    y.fraction.resize(n, '0');
    int f = x.fraction.compare(y.fraction);
    magnitude = f < 0 ? -1 : (f > 0 ? 1 : 0);
  }
  return x.negative ? -magnitude : magnitude;
}

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Result<std::shared_ptr<const Node>> Parse(std::vector<std::string>* columns) {
    columns_ = columns;
    VIMUR_RETURN_IF_ERROR(Advance());
    VIMUR_ASSIGN_OR_RETURN(auto root, Or(0));
    if (token_.kind != Token::kEnd) return Expected("'and', 'or' or the end");
    return root;
  }

 private:
  Status Error(size_t at, const std::string& what) const {
    return Status::InvalidArgument("filter '" + text_ + "': at character " +
                                   std::to_string(at + 1) + ": " + what);
  }
  Status Expected(const std::string& what) const {
    return Error(token_.at, "expected " + what + ", found " + token_.Shown());
  }

  // Reads the next token into token_.
  Status Advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    token_ = Token{};
    token_.at = pos_;
    if (pos_ >= text_.size()) return Status::Ok();
    char c = text_[pos_];
    if (IsNameStart(c)) {
      size_t end = pos_;
      while (end < text_.size() && IsNameChar(text_[end])) ++end;
      token_.kind = Token::kName;
      token_.text = text_.substr(pos_, end - pos_);
      pos_ = end;
      return Status::Ok();
    }
    if (c == '`' || c == '\'') {
      std::string value;
      size_t i = pos_ + 1;
      while (true) {
        if (i >= text_.size()) {
          return Error(pos_, c == '`' ? "unterminated `name`" : "unterminated 'text'");
        }
        if (text_[i] == c) {
          if (i + 1 < text_.size() && text_[i + 1] == c) {  // doubled: the character itself
            value += c;
            i += 2;
            continue;
          }
          break;
        }
        value += text_[i++];
      }
      token_.kind = c == '`' ? Token::kQuotedName : Token::kString;
      if (c == '`' && value.empty()) return Error(pos_, "empty `name`");
      token_.text = std::move(value);
      pos_ = i + 1;
      return Status::Ok();
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
        ((c == '-' || c == '+') && pos_ + 1 < text_.size() &&
         (std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) || text_[pos_ + 1] == '.'))) {
      size_t end = pos_ + 1;
      while (end < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '.' ||
              ((text_[end] == '-' || text_[end] == '+') &&
               (text_[end - 1] == 'e' || text_[end - 1] == 'E')))) {
        ++end;
      }
      std::string number = text_.substr(pos_, end - pos_);
      long double ignored = 0;
      if (!ReadsAsNumber(number, &ignored)) return Error(pos_, "'" + number + "' is not a number");
      token_.kind = Token::kNumber;
      token_.text = number[0] == '+' ? number.substr(1) : number;
      pos_ = end;
      return Status::Ok();
    }
    for (const char* op : {"<=", ">=", "!=", "<>", "=", "<", ">", "(", ")", ","}) {
      size_t n = std::char_traits<char>::length(op);
      if (text_.compare(pos_, n, op) == 0) {
        token_.kind = Token::kSymbol;
        token_.text = op;
        pos_ += n;
        return Status::Ok();
      }
    }
    return Error(pos_, std::string("unexpected character '") + c + "'");
  }

  Result<std::shared_ptr<const Node>> Or(int depth) {
    VIMUR_ASSIGN_OR_RETURN(auto left, And(depth));
    while (token_.Is("or")) {
      VIMUR_RETURN_IF_ERROR(Advance());
      VIMUR_ASSIGN_OR_RETURN(auto right, And(depth));
      auto n = std::make_shared<Node>();
      n->kind = Node::kOr;
      n->operands = {std::move(left), std::move(right)};
      left = std::move(n);
    }
    return left;
  }

  Result<std::shared_ptr<const Node>> And(int depth) {
    VIMUR_ASSIGN_OR_RETURN(auto left, Unary(depth));
    while (token_.Is("and")) {
      VIMUR_RETURN_IF_ERROR(Advance());
      VIMUR_ASSIGN_OR_RETURN(auto right, Unary(depth));
      auto n = std::make_shared<Node>();
      n->kind = Node::kAnd;
      n->operands = {std::move(left), std::move(right)};
      left = std::move(n);
    }
    return left;
  }

  Result<std::shared_ptr<const Node>> Unary(int depth) {
    if (depth > kMaxDepth) return Error(token_.at, "nested too deeply");
    if (token_.Is("not")) {
      VIMUR_RETURN_IF_ERROR(Advance());
      VIMUR_ASSIGN_OR_RETURN(auto operand, Unary(depth + 1));
      auto n = std::make_shared<Node>();
      n->kind = Node::kNot;
      n->operands = {std::move(operand)};
      return std::shared_ptr<const Node>(std::move(n));
    }
    if (token_.IsSymbol("(")) {
      VIMUR_RETURN_IF_ERROR(Advance());
      VIMUR_ASSIGN_OR_RETURN(auto inner, Or(depth + 1));
      if (!token_.IsSymbol(")")) return Expected("')'");
      VIMUR_RETURN_IF_ERROR(Advance());
      return inner;
    }
    return Predicate();
  }

  static bool Reserved(const Token& t) {
    for (const char* k : {"and", "or", "not", "in", "is", "null", "true", "false"}) {
      if (t.Is(k)) return true;
    }
    return false;
  }

  Result<Node::Literal> Literal() {
    Node::Literal l;
    if (token_.kind == Token::kNumber) {
      l = {token_.text, true};
    } else if (token_.kind == Token::kString) {
      l = {token_.text, false};
    } else if (token_.Is("true") || token_.Is("false")) {
      l = {token_.Is("true") ? "1" : "0", true};
    } else if (token_.Is("null")) {
      return Error(token_.at,
                   "NULL is never equal to anything: write 'column is null' or "
                   "'column is not null'");
    } else {
      return Expected("a literal (a number, 'text', true or false)");
    }
    VIMUR_RETURN_IF_ERROR(Advance());
    return l;
  }

  Result<std::shared_ptr<const Node>> Predicate() {
    if (!(token_.kind == Token::kQuotedName ||
          (token_.kind == Token::kName && !Reserved(token_)))) {
      return Expected("a column name, 'not' or '('");
    }
    auto n = std::make_shared<Node>();
    n->column = token_.text;
    if (std::find(columns_->begin(), columns_->end(), n->column) == columns_->end()) {
      columns_->push_back(n->column);
    }
    VIMUR_RETURN_IF_ERROR(Advance());
    if (token_.Is("is")) {
      VIMUR_RETURN_IF_ERROR(Advance());
      n->kind = Node::kIsNull;
      if (token_.Is("not")) {
        n->negated = true;
        VIMUR_RETURN_IF_ERROR(Advance());
      }
      if (!token_.Is("null")) return Expected("'null'");
      VIMUR_RETURN_IF_ERROR(Advance());
      return std::shared_ptr<const Node>(std::move(n));
    }
    if (token_.Is("not") || token_.Is("in")) {
      n->kind = Node::kIn;
      if (token_.Is("not")) {
        n->negated = true;
        VIMUR_RETURN_IF_ERROR(Advance());
        if (!token_.Is("in")) return Expected("'in'");
      }
      VIMUR_RETURN_IF_ERROR(Advance());
      if (!token_.IsSymbol("(")) return Expected("'(' after 'in'");
      do {
        VIMUR_RETURN_IF_ERROR(Advance());
        VIMUR_ASSIGN_OR_RETURN(Node::Literal l, Literal());
        n->literals.push_back(std::move(l));
      } while (token_.IsSymbol(","));
      if (!token_.IsSymbol(")")) return Expected("',' or ')'");
      VIMUR_RETURN_IF_ERROR(Advance());
      return std::shared_ptr<const Node>(std::move(n));
    }
    static const std::pair<const char*, Node::Op> kOps[] = {
        {"=", Node::kEq},  {"!=", Node::kNe}, {"<>", Node::kNe}, {"<", Node::kLt},
        {"<=", Node::kLe}, {">", Node::kGt},  {">=", Node::kGe}};
    bool found = false;
    for (const auto& [symbol, op] : kOps) {
      if (token_.IsSymbol(symbol)) {
        n->op = op;
        found = true;
      }
    }
    if (!found) return Expected("=, !=, <>, <, <=, >, >=, 'in', 'not in' or 'is' after a column");
    VIMUR_RETURN_IF_ERROR(Advance());
    if (token_.kind == Token::kName && !Reserved(token_)) {
      return Error(token_.at, "'" + token_.text +
                                  "' is a column name; compare a column with a literal, and "
                                  "quote text: '" +
                                  token_.text + "'");
    }
    n->kind = Node::kCompare;
    VIMUR_ASSIGN_OR_RETURN(Node::Literal l, Literal());
    n->literals.push_back(std::move(l));
    return std::shared_ptr<const Node>(std::move(n));
  }

  const std::string& text_;
  size_t pos_ = 0;
  Token token_;
  std::vector<std::string>* columns_ = nullptr;
};

Truth Not(Truth t) {
  return t == Truth::kUnknown ? t : (t == Truth::kTrue ? Truth::kFalse : Truth::kTrue);
}

Result<Truth> Eval(const Node& n, const Row& row) {
  switch (n.kind) {
    case Node::kAnd:
    case Node::kOr: {
      const Truth decisive = n.kind == Node::kAnd ? Truth::kFalse : Truth::kTrue;
      Truth result = Not(decisive);
      for (const auto& operand : n.operands) {
        VIMUR_ASSIGN_OR_RETURN(Truth t, Eval(*operand, row));
        if (t == decisive) return decisive;
        if (t == Truth::kUnknown) result = Truth::kUnknown;
      }
      return result;
    }
    case Node::kNot: {
      VIMUR_ASSIGN_OR_RETURN(Truth t, Eval(*n.operands[0], row));
      return Not(t);
    }
    case Node::kCompare:
    case Node::kIn:
    case Node::kIsNull: break;
  }
  const SqlValue* v = row.Find(n.column);
  if (v == nullptr) {
    return Status::InvalidArgument("the filter reads column '" + n.column +
                                   "', which the row does not have");
  }
  if (n.kind == Node::kIsNull) return v->is_null() != n.negated ? Truth::kTrue : Truth::kFalse;
  if (v->is_null()) return Truth::kUnknown;
  if (n.kind == Node::kIn) {
    bool any = false;
    for (const auto& l : n.literals) any = any || CompareWithLiteral(*v, l.text, l.number) == 0;
    return any != n.negated ? Truth::kTrue : Truth::kFalse;
  }
  int c = CompareWithLiteral(*v, n.literals[0].text, n.literals[0].number);
  bool holds = false;
  switch (n.op) {
    case Node::kEq: holds = c == 0; break;
    case Node::kNe: holds = c != 0; break;
    case Node::kLt: holds = c < 0; break;
    case Node::kLe: holds = c <= 0; break;
    case Node::kGt: holds = c > 0; break;
    case Node::kGe: holds = c >= 0; break;
  }
  return holds ? Truth::kTrue : Truth::kFalse;
}

}  // namespace

int CompareWithLiteral(const SqlValue& value, const std::string& literal, bool literal_is_number) {
  const std::string& text = value.text;
  if (literal_is_number && value.kind != SqlKind::kBytes) {
    if (PlainDecimal(text) && PlainDecimal(literal)) return CompareDecimals(text, literal);
    long double a = 0, b = 0;
    if (ReadsAsNumber(text, &a) && ReadsAsNumber(literal, &b)) return a < b ? -1 : (a > b ? 1 : 0);
  }
  int c = text.compare(literal);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

Result<RowFilter> RowFilter::Parse(const std::string& text) {
  RowFilter f;
  f.text_ = text;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return f;
  Parser parser(text);
  VIMUR_ASSIGN_OR_RETURN(f.root_, parser.Parse(&f.columns_));
  return f;
}

Result<Truth> RowFilter::Evaluate(const Row& row) const {
  if (root_ == nullptr) return Truth::kTrue;
  return Eval(*root_, row);
}

Result<bool> RowFilter::Keeps(const Row& row) const {
  VIMUR_ASSIGN_OR_RETURN(Truth t, Evaluate(row));
  return t == Truth::kTrue;
}

}  // namespace vimur::sink
