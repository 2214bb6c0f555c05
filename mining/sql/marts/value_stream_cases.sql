with instances as (
    select * from {{ activity_instances }}
),

rules as (
    select * from {{ process_rules }}
),

per_case as (
    select
        case_key,
        any_value(process) as process,
        any_value(case_id) as case_id,
        min(started_at) as started_at,
        max(ended_at) as ended_at,
        count(*) as n_instances,
        count(*) filter (where is_rework) as n_rework_instances,
        count(process_seconds) as n_timed_instances,
        coalesce(sum(process_seconds), 0) / 3600 as process_hours,
        coalesce(sum(process_seconds) filter (where is_rework), 0) / 3600 as rework_hours,
        coalesce(sum(wait_before_seconds), 0) / 86400 as waiting_days,
        any_value(case_started_at) as case_started_at,
        any_value(case_ended_at) as case_ended_at,
    from instances
    group by case_key
),

final as (
    select
        c.process,
        c.case_id,
        c.case_key,
        c.started_at,
        c.ended_at,
        epoch_us(c.ended_at - c.started_at) / 86400e6 as lead_time_days,
        c.process_hours,
        c.waiting_days,
        case when c.ended_at > c.started_at
                then c.process_hours / (epoch_us(c.ended_at - c.started_at) / 3600e6)
        end as process_cycle_efficiency,
        c.process_hours * r.hourly_rate_dkk as cost_dkk,
        c.n_instances,
        c.n_timed_instances,
        c.n_rework_instances,
        c.rework_hours,
        c.rework_hours * r.hourly_rate_dkk as rework_cost_dkk,
        c.n_rework_instances = 0 as is_first_time_right,
        c.case_started_at,
        c.case_ended_at,
    from per_case as c
    left join rules as r using (process)
)

select * from final order by process, case_id
