-- One B-tree per blind-index row instead of two. Identifier fields (phone,
-- email, ID number, tax id) were kept unique by a second, partial index;
-- every insert of a random 16-byte hash then touched two random pages.
-- Now the primary key itself enforces it: tiebreak is empty for
-- identifier fields, so two customers cannot hold the same hash, and is
-- the customer id for name tokens, which many customers share.

ALTER TABLE blind_index ADD COLUMN tiebreak TEXT NOT NULL DEFAULT '';
UPDATE blind_index SET tiebreak = customer_id WHERE field >= 5;
ALTER TABLE blind_index ALTER COLUMN tiebreak DROP DEFAULT;
ALTER TABLE blind_index DROP CONSTRAINT blind_index_pkey;
DROP INDEX blind_index_unique;
ALTER TABLE blind_index ADD PRIMARY KEY (field, key_version, hash, tiebreak);
