with waits as (
    select * from {{ bottleneck_waits }} where not is_planned
),

per_case as (
    select process, target_activity as activity, case_key, sum(wait_seconds) as case_wait_seconds,
    from waits
    group by all
),

per_activity as (
    select
        process,
        activity,
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
        rank() over (partition by process order by total_wait_days desc) as rank_by_total,
        rank() over (partition by process order by median_case_wait_days desc) as rank_by_median,
        rank() over (partition by process order by p90_case_wait_days desc) as rank_by_p90,
    from per_activity
)

select * from final order by process asc, total_wait_days desc
