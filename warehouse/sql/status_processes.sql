-- One row per process: cases, events and activities in the canonical events. Grain: process.
with events as (
    select * from staging.events
),

final as (
    select
        process,
        count(distinct case_id) as n_cases,
        count(*) as n_events,
        count(distinct activity) as n_activities,
        min(ts) as first_event_at,
        max(ts) as last_event_at,
    from events
    group by process
)

select * from final order by process
