#include "source/mysql/binlog_event.h"

namespace vimur::mysql {

const char* EventTypeName(uint8_t type) {
  switch (static_cast<EventType>(type)) {
    case EventType::kUnknown: return "UNKNOWN_EVENT";
    case EventType::kStart_v3: return "START_EVENT_V3";
    case EventType::kQuery: return "QUERY_EVENT";
    case EventType::kStop: return "STOP_EVENT";
    case EventType::kRotate: return "ROTATE_EVENT";
    case EventType::kIntvar: return "INTVAR_EVENT";
    case EventType::kSlave: return "SLAVE_EVENT";
    case EventType::kAppendBlock: return "APPEND_BLOCK_EVENT";
    case EventType::kDeleteFile: return "DELETE_FILE_EVENT";
    case EventType::kRand: return "RAND_EVENT";
    case EventType::kUserVar: return "USER_VAR_EVENT";
    case EventType::kFormatDescription: return "FORMAT_DESCRIPTION_EVENT";
    case EventType::kXid: return "XID_EVENT";
    case EventType::kBeginLoadQuery: return "BEGIN_LOAD_QUERY_EVENT";
    case EventType::kExecuteLoadQuery: return "EXECUTE_LOAD_QUERY_EVENT";
    case EventType::kTableMap: return "TABLE_MAP_EVENT";
    case EventType::kWriteRowsV1: return "WRITE_ROWS_EVENT_V1";
    case EventType::kUpdateRowsV1: return "UPDATE_ROWS_EVENT_V1";
    case EventType::kDeleteRowsV1: return "DELETE_ROWS_EVENT_V1";
    case EventType::kIncident: return "INCIDENT_EVENT";
    case EventType::kHeartbeat: return "HEARTBEAT_LOG_EVENT";
    case EventType::kIgnorable: return "IGNORABLE_LOG_EVENT";
    case EventType::kRowsQuery: return "ROWS_QUERY_LOG_EVENT";
    case EventType::kWriteRowsV2: return "WRITE_ROWS_EVENT";
    case EventType::kUpdateRowsV2: return "UPDATE_ROWS_EVENT";
    case EventType::kDeleteRowsV2: return "DELETE_ROWS_EVENT";
    case EventType::kGtid: return "GTID_LOG_EVENT";
    case EventType::kAnonymousGtid: return "ANONYMOUS_GTID_LOG_EVENT";
    case EventType::kPreviousGtids: return "PREVIOUS_GTIDS_LOG_EVENT";
    case EventType::kTransactionContext: return "TRANSACTION_CONTEXT_EVENT";
    case EventType::kViewChange: return "VIEW_CHANGE_EVENT";
    case EventType::kXaPrepare: return "XA_PREPARE_LOG_EVENT";
    case EventType::kPartialUpdateRows: return "PARTIAL_UPDATE_ROWS_EVENT";
    case EventType::kTransactionPayload: return "TRANSACTION_PAYLOAD_EVENT";
    case EventType::kHeartbeatV2: return "HEARTBEAT_LOG_EVENT_V2";
    case EventType::kGtidTaggedLog: return "GTID_TAGGED_LOG_EVENT";
    case EventType::kMariaAnnotateRows: return "ANNOTATE_ROWS_EVENT";
    case EventType::kMariaBinlogCheckpoint: return "BINLOG_CHECKPOINT_EVENT";
    case EventType::kMariaGtid: return "GTID_EVENT";
    case EventType::kMariaGtidList: return "GTID_LIST_EVENT";
    case EventType::kMariaStartEncryption: return "START_ENCRYPTION_EVENT";
    case EventType::kMariaQueryCompressed: return "QUERY_COMPRESSED_EVENT";
    case EventType::kMariaWriteRowsCompressedV1: return "WRITE_ROWS_COMPRESSED_EVENT_V1";
    case EventType::kMariaUpdateRowsCompressedV1: return "UPDATE_ROWS_COMPRESSED_EVENT_V1";
    case EventType::kMariaDeleteRowsCompressedV1: return "DELETE_ROWS_COMPRESSED_EVENT_V1";
    case EventType::kMariaWriteRowsCompressed: return "WRITE_ROWS_COMPRESSED_EVENT";
    case EventType::kMariaUpdateRowsCompressed: return "UPDATE_ROWS_COMPRESSED_EVENT";
    case EventType::kMariaDeleteRowsCompressed: return "DELETE_ROWS_COMPRESSED_EVENT";
  }
  return "UNKNOWN_EVENT_TYPE";
}

std::string XaPrepareEvent::ToSql() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto hex = [](const std::string& bytes) {
    std::string out = "X'";
    for (unsigned char c : bytes) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    return out + "'";
  };
  return hex(gtrid) + "," + hex(bqual) + "," + std::to_string(format_id);
}

}  // namespace vimur::mysql
