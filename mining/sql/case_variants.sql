-- marts.case_variants: one row per process x case: its variant (the sequence of its activities) and lead time.
with sequence as (
    select * from {{ event_sequence }}
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

select * from final order by process, case_id
