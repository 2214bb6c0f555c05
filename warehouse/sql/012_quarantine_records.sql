-- raw.quarantine also keeps the records of an object-centric log that are not its events (a relation to an
-- event or object the log does not have, an object without its id, ...): `record` says which kind, and a
-- row's number is unique within its batch and kind. Every other source's rows are record 'row'.
create table raw.quarantine_records (
    batch_id bigint not null,
    source varchar not null,
    file varchar,
    row_number bigint not null,
    field varchar,
    reason varchar not null,
    row_data json,
    record varchar not null default 'row',
    primary key (batch_id, record, row_number)
);
insert into raw.quarantine_records select *, 'row' from raw.quarantine;
drop table raw.quarantine;
alter table raw.quarantine_records rename to quarantine;
