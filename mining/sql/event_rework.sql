-- marts.event_rework: one row per process x activity in the events view (pm4py's: every event by its activity
-- name, so a start and its complete are two): the cases with the activity, the cases in which it occurs more than
-- once (pm4py.get_rework_cases_per_activity) and its events. marts.rework counts activity instances instead.
with sequence as (
    select process, case_id, activity from {{ event_sequence }}
),

per_case as (
    select process, case_id, activity, count(*) as n_events,
    from sequence
    group by all
),

final as (
    select
        process,
        activity,
        count(*) as n_cases,
        count(*) filter (where n_events > 1) as n_cases_with_rework,
        count(*) filter (where n_events > 1) / count(*) as rework_rate,
        sum(n_events) as n_events,
    from per_case
    group by all
)

select * from final order by process, n_cases_with_rework desc, activity
