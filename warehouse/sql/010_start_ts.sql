-- An interval row's start: a source with one row per activity instance (a start and a completion column).
alter table staging.events add column if not exists start_ts timestamptz;
