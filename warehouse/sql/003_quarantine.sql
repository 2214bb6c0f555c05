-- raw.quarantine: one row per rejected source row, with where it was and why.
-- `row_data` holds the row as JSON with personal fields already pseudonymised.
create table if not exists raw.quarantine (
    batch_id bigint not null,
    source varchar not null,
    file varchar,
    row_number bigint not null,
    field varchar,
    reason varchar not null,
    row_data json,
    primary key (batch_id, row_number)
);
