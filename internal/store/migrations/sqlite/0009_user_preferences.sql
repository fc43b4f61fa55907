-- The web UI's language and time zone, each user's own choice; empty:
-- taken from the browser (Accept-Language) and the language's default
-- zone.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
