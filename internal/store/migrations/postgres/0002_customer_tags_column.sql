-- Tags are read with every customer; keeping them in the customer row
-- saves a correlated subquery per row on every read and list. The
-- customer_tags table stays the index for filtering by tag.
ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '';
UPDATE customers SET tags = COALESCE((SELECT string_agg(tag, ',' ORDER BY tag) FROM customer_tags t
    WHERE t.customer_id = customers.id), '');
