with waits as (
    select * from {{ bottleneck_waits }} where not is_planned
),

owned as (
    select process, 'org_unit' as level, org_unit as owner, source_activity, target_activity, wait_seconds
    from waits
    union all
    select process, 'resource' as level, resource as owner, source_activity, target_activity, wait_seconds
    from waits
),

final as (
    select
        process,
        level,
        owner,
        source_activity,
        target_activity,
        count(*) as n_waits,
        sum(wait_seconds) / 86400 as total_wait_days,
        median(wait_seconds) / 86400 as median_wait_days,
        quantile_cont(wait_seconds, 0.9) / 86400 as p90_wait_days,
    from owned
    group by all
)

select * from final order by process asc, level asc, total_wait_days desc
