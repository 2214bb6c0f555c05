with waits as (
    select * from {{ bottleneck_waits }} where not is_planned
),

per_case as (  -- a case's first wait at a transition carries the case's waiting there
    select
        process, source_activity, target_activity, case_id, case_wait_seconds / 86400 as wait_days,
        wait_started_at as first_wait_started_at,
    from waits
    where case_wait_seconds is not null
),

-- the ten longest per transition, picked with max_by's top-n (no sort of all the cases)
top as (
    select
        process,
        source_activity,
        target_activity,
        max_by(struct_pack(case_id, wait_days, first_wait_started_at), (wait_days, case_id), 10) as worst,
    from per_case
    group by all
),

final as (
    select
        process,
        source_activity,
        target_activity,
        w.item.case_id,
        w.item.wait_days,
        w.item.first_wait_started_at,
        w.worst_rank,
    from top, unnest(top.worst) with ordinality as w (item, worst_rank)
)

select * from final order by process, source_activity, target_activity, worst_rank
