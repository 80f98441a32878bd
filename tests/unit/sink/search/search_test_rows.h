// Rows and changes of an orders / order_items / users schema for the search sink's tests.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink::search_test {

inline Row MakeRow(std::vector<std::pair<std::string, SqlValue>> cells) {
  Row r;
  for (auto& [n, v] : cells) {
    r.names.push_back(n);
    r.values.push_back(v);
  }
  return r;
}

inline RowChange Change(const std::string& table, char op, const Row& row,
                        std::vector<std::string> key = {"id"}) {
  RowChange c;
  c.op = op;
  c.db = "shop";
  c.table = table;
  c.key_columns = std::move(key);
  if (op == 'd') {
    c.has_before = true;
    c.before = row;
  } else {
    c.has_after = true;
    c.after = row;
  }
  return c;
}

inline Row Order(int id, int user_id, const std::string& status) {
  return MakeRow({{"id", SqlValue::Number(std::to_string(id))},
                  {"user_id", SqlValue::Number(std::to_string(user_id))},
                  {"status", SqlValue::Text(status)}});
}

inline Row Item(int id, int order_id, const std::string& sku) {
  return MakeRow({{"id", SqlValue::Number(std::to_string(id))},
                  {"order_id", SqlValue::Number(std::to_string(order_id))},
                  {"sku", SqlValue::Text(sku)}});
}

inline Row User(int id, const std::string& name) {
  return MakeRow({{"id", SqlValue::Number(std::to_string(id))},
                  {"name", SqlValue::Text(name)},
                  {"email", SqlValue::Text(name + "@example.com")}});
}

// orders as root, items by order_id (array), the user by user_id (object, name only).
inline SinkConfig OrdersConfig() {
  SinkConfig s;
  s.name = "docs";
  s.type = "search";
  s.url = "http://127.0.0.1:9200";
  s.index = "orders";
  s.root = "shop\\.shop\\.orders";
  s.topics = {"shop\\.shop\\.(orders|order_items|users)"};
  SinkRelationConfig items;
  items.name = "order_items";
  items.topic = "shop\\.shop\\.order_items";
  items.key = "order_id";
  items.fields = {"id", "sku"};
  SinkRelationConfig user;
  user.name = "user";
  user.topic = "shop\\.shop\\.users";
  user.on = "user_id";
  user.fields = {"name"};
  user.rename = {{"name", "user_name"}};
  s.relations = {items, user};
  return s;
}

}  // namespace vimur::sink::search_test
