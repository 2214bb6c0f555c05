with sequence as (
    select case_key, process, activity from {{ event_sequence }}
),

per_case as (
    select case_key, process, activity, count(*) as n_events,
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

select * from final order by process asc, n_cases_with_rework desc, activity asc
