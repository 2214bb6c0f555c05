-- meta.runs: one row per nightly run (a rerun of the same night replaces it): when, how it ended, what it loaded,
-- and its summary in markdown.
create table if not exists meta.runs (
    night date primary key,
    run_id varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    message varchar,
    summary_md varchar
);

-- meta.kpi_history: one row per night x process: the KPIs a trend is drawn from. A rerun of the night replaces its
-- rows, so a night never counts twice.
create table if not exists meta.kpi_history (
    night date not null,
    process varchar not null,
    recorded_at timestamptz not null,
    n_cases bigint,
    median_lead_time_days double,
    p90_lead_time_days double,
    share_within_deadline double,
    rework_rate double,
    contacts_per_case double,
    process_cycle_efficiency double,
    primary key (night, process)
);

-- meta.deadline_breaches: one row per case whose deadline was missed or is overdue, with the night it was first
-- seen: tonight's new breaches are those first seen tonight.
create table if not exists meta.deadline_breaches (
    process varchar not null,
    case_id varchar not null,
    status varchar not null,
    first_seen_night date not null,
    primary key (process, case_id)
);
