#include "source/mysql/connector_wire.h"

#include <mysql.h>

namespace vimur::mysql::wire {

bool SendCommand(st_mysql* mysql, uint8_t command, std::string_view payload, bool expect_stream) {
  return mysql->methods->db_command(mysql, static_cast<enum_server_command>(command),
                                    payload.data(), payload.size(), expect_stream ? 1 : 0,
                                    nullptr) == 0;
}

std::optional<std::string_view> ReadPacket(st_mysql* mysql) {
  unsigned long length = mysql_net_read_packet(mysql);
  if (length == packet_error || length == 0) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(mysql->net.read_pos), length);
}

}  // namespace vimur::mysql::wire
