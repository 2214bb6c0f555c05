with waits as (
    select * from {{ bottleneck_waits }}
),

per_case as (  -- a case's first wait at a transition carries the case's waiting there
    select process, source_activity, target_activity, case_id, is_planned, case_wait_seconds,
    from waits
    where case_wait_seconds is not null
),

per_transition as (
    select
        process,
        source_activity,
        target_activity,
        any_value(is_planned) as is_planned,
        count(*) as n_cases,
        sum(case_wait_seconds) / 86400 as total_wait_days,
        median(case_wait_seconds) / 86400 as median_case_wait_days,
        quantile_cont(case_wait_seconds, 0.9) / 86400 as p90_case_wait_days,
    from per_case
    group by all
),

final as (
    select
        *,
        total_wait_days / sum(total_wait_days) over (partition by process) as share_of_waiting,
        case when not is_planned then rank() over (partition by process, is_planned order by total_wait_days desc)
        end as rank_by_total,
        case when not is_planned then rank() over (
                    partition by process, is_planned
                    order by median_case_wait_days desc
                )
        end as rank_by_median,
        case when not is_planned then rank() over (
                    partition by process, is_planned
                    order by p90_case_wait_days desc
                )
        end as rank_by_p90,
    from per_transition
)

select * from final order by process asc, is_planned asc, total_wait_days desc
