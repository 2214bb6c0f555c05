-- meta.watermarks: one row per source pulled from a live system (a database or an API): the highest
-- watermark its last stored batch saw, so the next pull asks only for rows from there on (less the lookback).
-- Written in the same transaction as the batch: a pull that breaks off moves nothing on.
create table if not exists meta.watermarks (
    source varchar primary key,
    watermark_kind varchar not null,  -- integer | timestamp | timestamptz | date | text
    watermark varchar not null,  -- the value as text (ISO 8601 for times)
    batch_id bigint not null,  -- the batch that brought it
    updated_at timestamptz not null
);
