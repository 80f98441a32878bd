SET GLOBAL log_bin_compress = OFF;
CREATE TABLE shop.items (id BIGINT NOT NULL PRIMARY KEY, label VARCHAR(20) CHARACTER SET latin1, qty INT) ENGINE=InnoDB;
INSERT INTO shop.items VALUES (1, 'one', 10), (2, 'two', 20), (3, NULL, NULL);
UPDATE shop.items SET qty = qty * 2 WHERE id <= 2;
DELETE FROM shop.items WHERE id = 3;
UPDATE shop.wide SET tags = 'y' WHERE name = 'alpha';
FLUSH BINARY LOGS;
