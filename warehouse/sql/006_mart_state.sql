-- meta.mart_state: one row per mart: what it was last built from, so a nightly run can update only the cases
-- that new batches touched. fingerprint: a hash of the mart's SQL, the rules it reads and its inputs'
-- fingerprints (a change means a full rebuild); last_batch_id: the newest batch it includes.
create table if not exists meta.mart_state (
    mart varchar primary key,
    fingerprint varchar not null,
    last_batch_id bigint not null,
    built_at timestamptz not null,
    mode varchar not null
);
