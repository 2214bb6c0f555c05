with waits as (
    select * from {{ bottleneck_waits }} where not is_planned
),

final as (
    select
        process,
        source_activity,
        target_activity,
        month,
        count(*) as n_waits,
        sum(wait_seconds) / 86400 as total_wait_days,
        median(wait_seconds) / 86400 as median_wait_days,
        quantile_cont(wait_seconds, 0.9) / 86400 as p90_wait_days,
    from waits
    group by all
)

select * from final order by process, source_activity, target_activity, month
