-- marts.case_variants: one row per process x case: its variant (the sequence of its activities) and lead time.
create or replace table marts.case_variants as
with sequence as (
    select * from marts.event_sequence
),

per_case as (
    select
        process,
        case_id,
        list(activity order by position) as activities,
        min(ts) as started_at,
        max(ts) as ended_at,
    from sequence
    group by process, case_id
),

final as (
    select
        process,
        case_id,
        md5(array_to_string(activities, chr(31))) as variant_id,
        activities,
        len(activities) as n_events,
        started_at,
        ended_at,
        epoch_us(ended_at - started_at) / 1e6 as lead_time_seconds,
    from per_case
)

select * from final order by process, case_id;

-- marts.variants: one row per process x variant: cases, share of the process's cases, median lead time.
create or replace table marts.variants as
with cases as (
    select * from marts.case_variants
),

final as (
    select
        process,
        variant_id,
        any_value(activities) as activities,
        any_value(n_events) as n_events,
        count(*) as n_cases,
        count(*) / sum(count(*)) over (partition by process) as share_of_cases,
        median(lead_time_seconds) as median_lead_time_seconds,
    from cases
    group by process, variant_id
)

select * from final order by process, n_cases desc, variant_id
