// The XID named by an XA statement as the server logs it (XA COMMIT X'..',X'..',1), in the
// canonical form of XaPrepareEvent::ToSql, so that a commit finds its prepared transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vimur::mysql {

// `rest` is the text after "XA COMMIT" / "XA ROLLBACK": gtrid [, bqual [, format_id]] with each
// string as X'hex', 0xhex or a quoted string, then optionally ONE PHASE. nullopt when it does
// not read as an XID.
std::optional<std::string> CanonicalXid(std::string_view rest);

}  // namespace vimur::mysql
