with instances as (
    select * from {{ activity_instances }}
),

rules as (
    select * from {{ process_rules }}
),

per_activity as (
    select
        process,
        activity,
        median(position) filter (where occurrence = 1) as median_position,  -- where cases first meet it
        count(*) as n_instances,
        mode(process_time_source) as process_time_source,
        avg(process_seconds) / 60 as mean_process_minutes,
        median(process_seconds) / 60 as median_process_minutes,
        coalesce(sum(process_seconds), 0) / 3600 as total_process_hours,
        coalesce(sum(wait_before_seconds), 0) / 86400 as total_wait_before_days,
        median(wait_before_seconds) / 3600 as median_wait_before_hours,
        count(*) filter (where occurrence = 1) as n_cases,  -- a case's first instance of the activity
        1 - count(*) filter (where occurrence = 2) / count(*) filter (where occurrence = 1) as first_time_right,
        count(*) filter (where is_rework) as n_rework_instances,
        coalesce(sum(process_seconds) filter (where is_rework), 0) / 3600 as rework_hours,
    from instances
    group by all
),

final as (
    select
        a.process,
        a.activity,
        a.n_instances,
        a.n_cases,
        a.process_time_source,
        a.mean_process_minutes,
        a.median_process_minutes,
        a.total_process_hours,
        a.total_process_hours * r.hourly_rate_dkk as cost_dkk,
        a.total_process_hours * r.hourly_rate_dkk / a.n_cases as cost_per_case_dkk,
        a.total_wait_before_days,
        a.median_wait_before_hours,
        a.n_rework_instances,
        a.rework_hours,
        a.rework_hours * r.hourly_rate_dkk as rework_cost_dkk,
        a.first_time_right,
        a.median_position,
    from per_activity as a
    left join rules as r using (process)
)

select * from final order by process asc, median_position asc, n_instances desc, activity asc
