with instances as (
    select * from {{ activity_instances }}
),

again as (
    select
        *,
        case
            when resource is null or previous_resource is null then 'unknown'
            when resource = previous_resource then 'repeat'
            else 'redo'
        end as kind,
        instance_number = previous_instance_number + 1 as is_self_loop,
    from instances
    where occurrence > 1
),

per_activity as (  -- a case's first instance of an activity has occurrence 1: counting those counts its cases
    select process, activity, count(*) filter (where occurrence = 1) as n_cases,
    from instances
    group by all
),

reworked as (
    select
        process,
        activity,
        count(*) as n_rework_events,
        count(*) filter (where occurrence = 2) as n_cases_with_rework,  -- each reworked case has one second
        count(*) filter (where kind = 'repeat') as n_repeat,
        count(*) filter (where kind = 'redo') as n_redo,
        count(*) filter (where kind = 'unknown') as n_unknown_resource,
        count(*) filter (where is_self_loop) as n_self_loop,
        count(*) filter (where not is_self_loop) as n_loop_back,
    from again
    group by all
),

final as (
    select
        a.process,
        a.activity,
        a.n_cases,
        coalesce(r.n_cases_with_rework, 0) as n_cases_with_rework,
        coalesce(r.n_cases_with_rework, 0) / a.n_cases as rework_rate,
        coalesce(r.n_rework_events, 0) as n_rework_events,
        coalesce(r.n_repeat, 0) as n_repeat,
        coalesce(r.n_redo, 0) as n_redo,
        coalesce(r.n_unknown_resource, 0) as n_unknown_resource,
        coalesce(r.n_self_loop, 0) as n_self_loop,
        coalesce(r.n_loop_back, 0) as n_loop_back,
    from per_activity as a
    left join reworked as r using (process, activity)
)

select * from final order by process asc, n_rework_events desc, activity asc
