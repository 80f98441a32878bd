# Sourced by the sink apply-rate benchmarks (redis_apply.sh, search_apply.sh): fills bench.t
# of the MariaDB at $port with $rows rows and publishes them to the embedded log under $work
# (`snapshot: initial_only`, JSON with schemas unless $schemas is false), leaving its
# configuration in $work/publish.yaml for the sink runs to extend. Needs $port, $rows, $work and
# $vimur.

publish_bench_rows() {
  echo "filling bench.t with $rows rows" >&2
  mariadb -h127.0.0.1 -P"$port" -uroot -proot -e "CREATE DATABASE bench;
    CREATE TABLE bench.t (
    id BIGINT PRIMARY KEY, a INT NOT NULL, b INT UNSIGNED, c BIGINT, d DECIMAL(12,2),
    e DOUBLE, f VARCHAR(40), g VARCHAR(200), h DATETIME(3), i DATE, k TINYINT, l CHAR(8))
    DEFAULT CHARSET=utf8mb4;
    SET SESSION sql_log_bin = 0;
    INSERT INTO bench.t SELECT seq, seq % 100000, seq * 3, seq * 1000003, seq / 100,
      seq / 7, CONCAT('name-', seq), REPEAT(CHAR(97 + seq % 26), 20 + seq % 60),
      '2024-01-01 00:00:00' + INTERVAL seq SECOND, '2000-01-01' + INTERVAL (seq % 9000) DAY,
      seq % 128, LPAD(seq % 9999, 8, '0')
      FROM bench.seq_1_to_$rows;"
  cat > "$work/publish.yaml" <<YAML
name: bench
state_dir: $work/state
transport: {type: local}
format: {type: json, schemas: ${schemas:-true}}
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: $port
    user: root
    password: root
    server_id: 5997
    include_tables: ['bench\.t']
    snapshot: initial_only
    snapshot_chunk_rows: 10000
YAML
  echo "publishing $rows rows to the embedded log" >&2
  "$vimur" run --config "$work/publish.yaml" 2> "$work/publish.log" > /dev/null
}
