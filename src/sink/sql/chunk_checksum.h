// ChunkChecksum: the SQL that counts and hashes the rows of a key range inside the database (for
// `vimur verify`), and the order of integer keys, so that key ranges of two tables can be merged.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sink/sql/sql_connection.h"

namespace vimur::sink {

// `SELECT COUNT(*), <64-bit hash>` over `from` (a quoted table name) and `where` (" WHERE ..." or
// empty) of `columns` (quoted expressions, in the order both sides compare them). Every value
// goes into the hash unambiguously: NULL and '' differ, and a separator inside a value cannot
// shift one value into the next. MariaDB/MySQL: XOR of the first 16 hex digits of each row's
// MD5 over its QUOTE()d values; PostgreSQL: XOR of hashtextextended() of the row's text.
std::string ChecksumQuery(Dialect dialect, const std::vector<std::string>& columns,
                          const std::string& from, const std::string& where);

// The order of two integers as the databases print them ("-12", "7", "18446744073709551615"):
// negative, zero or positive as a < b, a == b, a > b.
int CompareIntegerText(const std::string& a, const std::string& b);

// The order of two keys of integers, column by column.
int CompareIntegerKeys(const std::vector<std::optional<std::string>>& a,
                       const std::vector<std::optional<std::string>>& b);

// Whether `data_type` (lower case, MariaDB/MySQL or PostgreSQL) is an integer type whose text
// orders as its value.
bool IsIntegerType(const std::string& data_type);

}  // namespace vimur::sink
