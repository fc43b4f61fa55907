-- One B-tree per blind-index row instead of two. Identifier fields (phone,
-- email, ID number, tax id) were kept unique by a second, partial index;
-- every insert of a random 16-byte hash then touched two random pages.
-- Now the primary key itself enforces it: tiebreak is empty for
-- identifier fields, so two customers cannot hold the same hash, and is
-- the customer id for name tokens, which many customers share.

CREATE TABLE blind_index_next (
    field       INTEGER NOT NULL,
    key_version INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    tiebreak    TEXT    NOT NULL,
    customer_id TEXT    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (field, key_version, hash, tiebreak)
) WITHOUT ROWID;
INSERT INTO blind_index_next (field, key_version, hash, tiebreak, customer_id)
    SELECT field, key_version, hash, CASE WHEN field < 5 THEN '' ELSE customer_id END, customer_id
    FROM blind_index;
DROP TABLE blind_index;
ALTER TABLE blind_index_next RENAME TO blind_index;
CREATE INDEX blind_index_customer ON blind_index (customer_id);
