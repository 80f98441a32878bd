FLUSH BINARY LOGS;
CREATE DATABASE shop;
CREATE TABLE shop.wide (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  flags BIT(10),
  status ENUM('new','paid','shipped') CHARACTER SET latin1,
  tags SET('x','y','z'),
  note TEXT CHARACTER SET latin1,
  loc POINT,
  code BINARY(16),
  ts TIMESTAMP(3) NULL,
  amount DOUBLE,
  small SMALLINT UNSIGNED,
  PRIMARY KEY (id, name(10))
) ENGINE=InnoDB;
INSERT INTO shop.wide (name, price, flags, status, tags, note, loc, code, ts, amount, small)
  VALUES ('alpha', 12.50, b'1010101010', 'paid', 'x,z', 'short', POINT(1, 2), 'abc',
          '2024-05-01 10:00:00.120', 1.5, 65535);
INSERT INTO shop.wide (name, price, note) VALUES ('beta', 3.00, REPEAT('long text ', 200));
BEGIN;
UPDATE shop.wide SET price = price + 1, status = 'shipped' WHERE name = 'alpha';
DELETE FROM shop.wide WHERE name = 'beta';
COMMIT;
FLUSH BINARY LOGS;
