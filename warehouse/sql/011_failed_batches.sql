-- A load that failed keeps a row of its own in meta.batches (status 'failed'), with what went wrong: the file
-- and its error are on record, and nothing of its rows is kept.
alter table meta.batches add column if not exists error varchar;
