// The only place Vimur reaches into Connector/C (libmariadb) internals: sending the replication
// commands and reading the binlog stream's packets as raw bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

struct st_mysql;  // MYSQL of <mysql.h>

namespace vimur::mysql::wire {

// Why not the public replication API of libmariadb (mariadb_rpl_*, 3.3 in Debian 12):
//  - mariadb_rpl_open sends only COM_BINLOG_DUMP: no COM_BINLOG_DUMP_GTID, so a MySQL source
//    could not resume by GTID set, and no COM_REGISTER_SLAVE (the replica is not listed in
//    SHOW REPLICAS/SHOW SLAVE HOSTS);
//  - mariadb_rpl_fetch decodes every event into a MARIADB_RPL_EVENT of its own (an allocation
//    per event, a refusal of event types it does not know, such as MySQL 8.4's
//    GTID_TAGGED_LOG_EVENT), while Vimur parses the raw event bytes itself and wants only them.
// So the commands go out through the connection's command method and packets come in through
// mysql_net_read_packet: the two calls the library's own replication code is built on.

// Sends command `command` with `payload`; false when it failed (mysql_errno/mysql_error of the
// connection say why). `expect_stream`: the reply is a stream read with ReadPacket, not an
// OK packet.
bool SendCommand(st_mysql* mysql, uint8_t command, std::string_view payload, bool expect_stream);

// The next packet from the server, viewing the connection's buffer (valid until the next
// read); nullopt when the read failed or the connection ended.
std::optional<std::string_view> ReadPacket(st_mysql* mysql);

}  // namespace vimur::mysql::wire
