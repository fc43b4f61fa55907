-- Holds version 10 in the sequence, which another schema change
-- takes; this file goes when that change is in the same tree (two files
-- with one version make Migrations fail loudly).
SELECT 1;
