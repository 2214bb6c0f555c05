-- meta.mart_state.rebuilt_at: when the mart was last built whole. A published snapshot updated case by case since
-- then is still in step with the warehouse; one published before it (the rows may have been corrected in place)
-- must be copied whole.
alter table meta.mart_state add column if not exists rebuilt_at timestamptz;
