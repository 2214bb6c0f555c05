-- marts.bottleneck_cases: one row per process x transition x case among the ten cases that waited longest there
-- (the cases behind a bottleneck, to open and read); planned waits left out.
with waits as (
    select * from {{ bottleneck_waits }} where not is_planned
),

per_case as (
    select process, source_activity, target_activity, case_id, sum(wait_seconds) / 86400 as wait_days,
        min(wait_started_at) as first_wait_started_at,
    from waits
    group by all
),

final as (
    select
        *,
        row_number() over (partition by process, source_activity, target_activity
                           order by wait_days desc, case_id) as worst_rank,
    from per_case
    qualify worst_rank <= 10
)

select * from final order by process, source_activity, target_activity, worst_rank
