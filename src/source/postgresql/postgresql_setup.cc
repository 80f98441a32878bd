#include "source/postgresql/postgresql_setup.h"

#include "core/logging.h"
#include "source/postgresql/pgoutput_assembler.h"
#include "source/postgresql/pgoutput_message.h"

namespace vimur::postgresql {
namespace {

using Q = PgConnection;

std::string CreateSlotSql(const std::string& slot) {
  return "SELECT pg_create_logical_replication_slot(" + Q::QuoteLiteral(slot) + ", 'pgoutput');";
}

using TableName = std::pair<std::string, std::string>;  // schema, table

std::string Qualified(const TableName& t) {
  return Q::QuoteIdent(t.first) + "." + Q::QuoteIdent(t.second);
}

std::string QualifiedList(const std::vector<TableName>& tables) {
  std::string out;
  for (size_t i = 0; i < tables.size(); ++i) out += (i ? ", " : "") + Qualified(tables[i]);
  return out;
}

// The tables of the database that the source's filters select.
Result<std::vector<TableName>> SelectedTables(PgConnection& conn, const SourceConfig& config) {
  VIMUR_ASSIGN_OR_RETURN(
      auto rows, conn.Query("SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN "
                            "('pg_catalog', 'information_schema') ORDER BY 1, 2"));
  CaptureFilter filter(config);
  std::vector<TableName> out;
  for (const PgRow& r : rows) {
    if (!r[0] || !r[1]) continue;
    if (filter.IncludesTable(*r[0], *r[1])) out.emplace_back(*r[0], *r[1]);
  }
  return out;
}

}  // namespace

Result<std::optional<SlotState>> FindSlot(PgConnection& conn, const std::string& slot) {
  VIMUR_ASSIGN_OR_RETURN(
      auto rows, conn.Query("SELECT plugin, database, confirmed_flush_lsn::text, active FROM "
                            "pg_replication_slots WHERE slot_name = $1",
                            {slot}));
  if (rows.empty()) return std::optional<SlotState>();
  SlotState s;
  s.plugin = rows[0][0].value_or("");
  s.database = rows[0][1].value_or("");
  if (rows[0][2]) ParseLsn(*rows[0][2], &s.confirmed_flush);
  s.active = rows[0][3].value_or("f") == "t";
  return std::optional<SlotState>(s);
}

Result<std::string> PublicationStatement(PgConnection& conn, const SourceConfig& config) {
  const std::string head = "CREATE PUBLICATION " + Q::QuoteIdent(config.publication);
  if (config.include_tables.empty() && config.exclude_tables.empty()) {
    return head + " FOR ALL TABLES;";
  }
  VIMUR_ASSIGN_OR_RETURN(std::vector<TableName> tables, SelectedTables(conn, config));
  if (tables.empty()) {
    return Status::FailedPrecondition(
        "source " + config.name + ": no table of database " + config.database +
        " matches include_tables (minus exclude_tables), so publication " + config.publication +
        " cannot be created: create the tables first, or the publication yourself");
  }
  return head + " FOR TABLE " + QualifiedList(tables) + ";";
}

Status EnsurePublication(PgConnection& conn, const SourceConfig& config) {
  VIMUR_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT 1 FROM pg_publication WHERE pubname = $1",
                                               {config.publication}));
  if (!rows.empty()) return Status::Ok();
  VIMUR_ASSIGN_OR_RETURN(std::string sql, PublicationStatement(conn, config));
  LOG_INFO << "source " << config.name << ": creating publication " << config.publication << ": "
           << sql;
  Result<std::vector<PgRow>> created = conn.Query(sql);
  if (!created.ok()) {
    return Status::FailedPrecondition(
        "source " + config.name + ": creating publication " + config.publication + " failed (" +
        created.status().message() + "); run as a superuser or the tables' owner: " + sql);
  }
  return Status::Ok();
}

Result<uint64_t> EnsureSlot(PgConnection& conn, const SourceConfig& config) {
  VIMUR_ASSIGN_OR_RETURN(auto slot, FindSlot(conn, config.slot));
  if (!slot) {
    const std::string sql = CreateSlotSql(config.slot);
    LOG_INFO << "source " << config.name << ": creating replication slot " << config.slot << ": "
             << sql;
    Result<std::vector<PgRow>> created = conn.Query(sql);
    if (!created.ok()) {
      return Status::FailedPrecondition("source " + config.name + ": creating replication slot " +
                                        config.slot + " failed (" + created.status().message() +
                                        "); the user needs the REPLICATION attribute");
    }
    VIMUR_ASSIGN_OR_RETURN(slot, FindSlot(conn, config.slot));
    if (!slot) return Status::Internal("slot " + config.slot + " missing after its creation");
  }
  if (slot->plugin != "pgoutput") {
    return Status::FailedPrecondition(
        "source " + config.name + ": replication slot " + config.slot + " uses plugin " +
        slot->plugin + ", not pgoutput: set another `slot` or drop it with " +
        "SELECT pg_drop_replication_slot(" + Q::QuoteLiteral(config.slot) + ");");
  }
  return slot->confirmed_flush;
}

std::vector<CheckResult> CheckPostgresql(const SourceConfig& config) {
  std::vector<CheckResult> out;
  const PgConnectOptions options = PgConnectOptions::FromConfig(config);
  auto connected = PgConnection::Connect(options, false);
  CheckResult connect{"connection", connected.ok(), "", ""};
  if (!connected.ok()) {
    connect.detail = connected.status().message();
    connect.fix = "check host, port, user, password and database of source " + config.name;
    out.push_back(connect);
    return out;
  }
  PgConnection& conn = **connected;
  connect.detail = options.Endpoint() + ", server version " + std::to_string(conn.server_version());
  out.push_back(connect);

  CheckResult wal{"wal_level", false, "", ""};
  auto level = conn.Query("SHOW wal_level");
  if (!level.ok()) {
    wal.detail = level.status().message();
  } else {
    const std::string v = level->empty() ? "" : level->at(0)[0].value_or("");
    wal.ok = v == "logical";
    wal.detail = "wal_level=" + v;
    if (!wal.ok) wal.fix = "ALTER SYSTEM SET wal_level = logical; then restart the server";
  }
  out.push_back(wal);

  CheckResult role{"replication privilege", false, "", ""};
  auto attrs =
      conn.Query("SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user");
  if (!attrs.ok() || attrs->empty()) {
    role.detail = attrs.ok() ? "current user not in pg_roles" : attrs.status().message();
  } else {
    const bool replication = attrs->at(0)[0].value_or("f") == "t";
    const bool super = attrs->at(0)[1].value_or("f") == "t";
    role.ok = replication || super;
    role.detail = config.user + (replication ? " has REPLICATION" : " lacks REPLICATION");
    if (!role.ok) role.fix = "ALTER ROLE " + Q::QuoteIdent(config.user) + " REPLICATION;";
  }
  out.push_back(role);

  CheckResult pub{"publication " + config.publication, false, "", ""};
  auto found = conn.Query("SELECT puballtables FROM pg_publication WHERE pubname = $1",
                          {config.publication});
  if (!found.ok()) {
    pub.detail = found.status().message();
  } else if (found->empty()) {
    Result<std::string> sql = PublicationStatement(conn, config);
    pub.detail = "missing";
    pub.fix = sql.ok() ? sql.value() + " (Vimur runs it on its first start when the user may)"
                       : sql.status().message();
    // Created on the first start when the user owns the tables (or is a superuser for ALL).
    auto owner = conn.Query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    const bool super = owner.ok() && !owner->empty() && owner->at(0)[0].value_or("f") == "t";
    if (sql.ok() && sql->find("FOR ALL TABLES") == std::string::npos) {
      auto tables = SelectedTables(conn, config);
      bool owns_all = tables.ok();
      if (tables.ok()) {
        for (const TableName& t : *tables) {
          auto own = conn.Query(
              "SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c WHERE "
              "c.oid = $1::regclass",
              {Qualified(t)});
          if (!own.ok() || own->empty() || own->at(0)[0].value_or("f") != "t") owns_all = false;
        }
      }
      pub.ok = owns_all || super;
    } else {
      pub.ok = sql.ok() && super;
    }
    if (pub.ok) pub.detail = "missing; created on the first start with: " + sql.value();
  } else {
    pub.ok = true;
    const bool all = found->at(0)[0].value_or("f") == "t";
    pub.detail = all ? "exists, FOR ALL TABLES" : "exists";
    if (!all) {
      auto tables = SelectedTables(conn, config);
      auto published =
          conn.Query("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1",
                     {config.publication});
      if (tables.ok() && published.ok()) {
        std::vector<TableName> missing;
        for (const TableName& t : *tables) {
          bool in = false;
          for (const PgRow& r : *published) {
            in = in || (r[0].value_or("") == t.first && r[1].value_or("") == t.second);
          }
          if (!in) missing.push_back(t);
        }
        if (!missing.empty()) {
          pub.ok = false;
          pub.detail = "exists without " + QualifiedList(missing);
          pub.fix = "ALTER PUBLICATION " + Q::QuoteIdent(config.publication) + " ADD TABLE " +
                    QualifiedList(missing) + ";";
        }
      }
    }
  }
  out.push_back(pub);

  CheckResult slot_check{"replication slot " + config.slot, false, "", ""};
  auto slot = FindSlot(conn, config.slot);
  if (!slot.ok()) {
    slot_check.detail = slot.status().message();
  } else if (!slot->has_value()) {
    slot_check.ok = out[2].ok;  // created on the first start with the REPLICATION attribute
    if (config.snapshot == "initial_only") {
      slot_check.ok = true;
      slot_check.detail = "missing; not needed (snapshot: initial_only)";
    } else if (config.snapshot != "never") {
      // Created by the snapshot, exporting its read view (docs/snapshots.md).
      slot_check.detail = "missing; created on the first start with: CREATE_REPLICATION_SLOT " +
                          Q::QuoteIdent(config.slot) + " LOGICAL pgoutput (SNAPSHOT 'export')";
    } else {
      slot_check.detail = "missing; created on the first start with: " + CreateSlotSql(config.slot);
      slot_check.fix = CreateSlotSql(config.slot);
    }
  } else {
    const SlotState& s = **slot;
    auto db = conn.Query("SELECT current_database()");
    const std::string current = db.ok() && !db->empty() ? db->at(0)[0].value_or("") : "";
    slot_check.ok = s.plugin == "pgoutput" && s.database == current;
    slot_check.detail = "plugin " + s.plugin + ", database " + s.database + ", confirmed " +
                        LsnText(s.confirmed_flush) + (s.active ? ", in use" : "");
    if (!slot_check.ok) {
      slot_check.fix = "set another `slot`, or SELECT pg_drop_replication_slot(" +
                       Q::QuoteLiteral(config.slot) +
                       "); (a slot of plugin pgoutput on "
                       "database " +
                       current + " is needed)";
    }
  }
  out.push_back(slot_check);

  // `vimur snapshot` writes its watermarks with pg_logical_emit_message (PostgreSQL 14 on,
  // executable by every user unless revoked); without them only incremental snapshots fail.
  CheckResult marks{"incremental snapshot watermarks", true, "", ""};
  auto may = conn.Query(
      "SELECT has_function_privilege('pg_logical_emit_message(boolean, text, text)', "
      "'EXECUTE')");
  if (conn.server_version() < 140000) {
    marks.detail = "unavailable: vimur snapshot needs PostgreSQL 14 or later (not required)";
  } else if (!may.ok() || may->empty() || may->at(0)[0].value_or("f") != "t") {
    marks.ok = false;
    marks.detail = config.user + " may not execute pg_logical_emit_message";
    marks.fix = "GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO " +
                Q::QuoteIdent(config.user) + ";";
  } else {
    marks.detail = "pg_logical_emit_message allowed (no table is written)";
  }
  out.push_back(marks);
  return out;
}

}  // namespace vimur::postgresql
