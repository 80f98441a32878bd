#!/usr/bin/env bash
# Writes the benchmark binlog: a private MariaDB (scripts/mariadb), one table of 10 mixed
# columns, >= 1,000,000 row changes (inserts, updates, deletes in transactions of 1000 rows),
# then copies the binlog files to OUT_DIR with OUT_DIR/expected_rows (row changes written) and
# OUT_DIR/end_position ("FILE POS" just after the last transaction).
#
#   bench/make_binlog.sh OUT_DIR [--keep SERVER_DIR] [--rows N]
#
# --keep SERVER_DIR  starts the server in SERVER_DIR and leaves it running (for
#                    bench/live_catchup.sh); without it a temporary server is used and stopped.
# --rows N           inserted rows (default 1,000,000); N/10 updates and N/20 deletes follow,
#                    interleaved, so the binlog holds 1.15 * N row changes.
# Binlogs are capped at 64 MiB each so that the benchmark also crosses file rotations.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [--keep SERVER_DIR] [--rows N]" >&2; exit 2; }
out="$1"
shift
server_dir=""
keep=0
rows=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) server_dir="$2"; keep=1; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
txn_rows=1000
[ $((rows % (txn_rows * 20))) -eq 0 ] || { echo "--rows must be a multiple of 20000" >&2; exit 2; }

if [ -z "$server_dir" ]; then
  server_dir="$(mktemp -d -t vimur-bench-mariadb.XXXXXX)"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

port="$("$here/scripts/mariadb" start "$server_dir" --max-binlog-size=64M \
  --innodb-flush-log-at-trx-commit=0 --sync-binlog=0 | tail -1 | cut -d= -f2)"
cleanup() {
  if [ "$keep" = 0 ]; then
    "$here/scripts/mariadb" stop "$server_dir" >/dev/null 2>&1 || true
    rm -rf "$server_dir"
  fi
}
trap cleanup EXIT

sql() {
  mariadb --no-defaults --protocol=tcp --host=127.0.0.1 --port="$port" -uroot -proot "$@"
}

# A fresh binlog (mysql-bin.000001) that holds only the benchmark's changes.
sql -e "RESET MASTER; DROP DATABASE IF EXISTS bench; CREATE DATABASE bench;
CREATE TABLE bench.orders (
  id BIGINT NOT NULL PRIMARY KEY,
  qty INT NOT NULL,
  email VARCHAR(64) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  created DATETIME(6) NOT NULL,
  score DOUBLE,
  flags TINYINT,
  note TEXT,
  due DATE,
  status ENUM('new','paid','shipped','cancelled') NOT NULL
) ENGINE=InnoDB;"

echo "make_binlog: writing $rows inserts, $((rows / 10)) updates, $((rows / 20)) deletes" >&2
start=$SECONDS
# One autocommit statement per transaction; all statements go through one connection.
{
  n_txn=$((rows / txn_rows))
  for ((k = 0; k < n_txn; ++k)); do
    lo=$((k * txn_rows + 1))
    hi=$(((k + 1) * txn_rows))
    echo "INSERT INTO bench.orders SELECT seq, seq * 7 % 100000,
      CONCAT('customer', seq, '@example.com'), (seq % 1000000) / 100 + 0.25,
      TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
      seq * 1.5, seq % 100, CONCAT('note for order ', seq),
      DATE('2024-01-01') + INTERVAL (seq % 365) DAY, 1 + seq % 4
      FROM seq_${lo}_to_${hi};"
    # Every 10th transaction updates, every 20th deletes, 1000 rows of earlier inserts.
    if [ $((k % 10)) -eq 9 ]; then
      ulo=$(((k - 9) * txn_rows + 1))
      echo "UPDATE bench.orders SET qty = qty + 1, email = CONCAT('u', email), amount = amount + 1,
        status = 'paid' WHERE id BETWEEN $ulo AND $((ulo + txn_rows - 1));"
    fi
    if [ $((k % 20)) -eq 19 ]; then
      dlo=$(((k - 18) * txn_rows + 1))
      echo "DELETE FROM bench.orders WHERE id BETWEEN $dlo AND $((dlo + txn_rows - 1));"
    fi
  done
} | sql bench
echo "make_binlog: written in $((SECONDS - start)) s" >&2

left="$(sql -N -e "SELECT COUNT(*) FROM bench.orders")"
expected=$((rows + rows / 10 + rows / 20))
[ "$left" -eq $((rows - rows / 20)) ] || { echo "unexpected row count $left" >&2; exit 1; }

# The end of the last transaction: where a reader that has seen every change stands.
read -r end_file end_pos < <(sql -N -e "SHOW MASTER STATUS" | cut -f1,2)
sql -e "FLUSH BINARY LOGS"  # closes the last file so that every copied file is complete
rm -f "$out"/mysql-bin.[0-9]*
cp "$server_dir"/binlog/mysql-bin.[0-9]* "$out"/
# The file just opened by FLUSH holds no changes; leave it out of the copy.
last="$(ls "$out"/mysql-bin.[0-9]* | sort | tail -1)"
rm -f "$last"
echo "$expected" >"$out/expected_rows"
echo "$end_file $end_pos" >"$out/end_position"
echo "make_binlog: $expected row changes in $(ls "$out"/mysql-bin.[0-9]* | wc -l) files," \
  "$(du -sm "$out" | cut -f1) MB, in $out" >&2
if [ "$keep" = 1 ]; then
  echo "MARIADB_PORT=$port"
fi
