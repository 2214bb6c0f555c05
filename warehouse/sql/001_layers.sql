-- The warehouse's layers and its own bookkeeping.
-- raw: as landed, append-only; staging: the canonical model; marts: one table per question.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists meta;

-- meta.batches: one row per load of one file (or one extract) of one source.
create sequence if not exists meta.batch_ids start 1;
create table if not exists meta.batches (
    batch_id bigint primary key default nextval('meta.batch_ids'),
    source varchar not null,
    file varchar,
    sha256 varchar,
    rows_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_quarantined bigint not null default 0,
    rows_already_loaded bigint not null default 0,
    dst_ambiguous bigint not null default 0,
    dst_nonexistent bigint not null default 0,
    started_at timestamptz not null,
    finished_at timestamptz,
    watermark varchar,
    status varchar not null default 'running'
);
