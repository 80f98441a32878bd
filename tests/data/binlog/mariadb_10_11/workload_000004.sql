-- Session 1 (and session 2 for 'xa-b'); each XA is prepared before the next statement.
DROP DATABASE IF EXISTS x; DROP DATABASE IF EXISTS other;
CREATE DATABASE x;
CREATE TABLE x.t (id INT PRIMARY KEY, v VARCHAR(10));
FLUSH BINARY LOGS;
-- mysql-bin.000004 starts here
XA START 'xa-a'; INSERT INTO x.t VALUES (1, 'commit'); XA END 'xa-a'; XA PREPARE 'xa-a';
INSERT INTO x.t VALUES (100, 'plain');
-- session 2:
XA START 'xa-b'; INSERT INTO x.t VALUES (2, 'rollback'); XA END 'xa-b'; XA PREPARE 'xa-b';
XA COMMIT 'xa-a';
XA ROLLBACK 'xa-b';
XA START 'xa-c'; INSERT INTO x.t VALUES (3, 'onephase'); XA END 'xa-c'; XA COMMIT 'xa-c' ONE PHASE;
CREATE USER 'bob'@'%' IDENTIFIED BY 'hunter2';
GRANT SELECT ON x.* TO 'bob'@'%';
DROP USER 'bob'@'%';
CREATE DATABASE other;
CREATE TABLE other.t (id INT PRIMARY KEY);
ALTER TABLE x.t ADD COLUMN w INT NULL;
INSERT INTO x.t VALUES (101, 'last', 1);
DROP DATABASE other;
FLUSH BINARY LOGS;
