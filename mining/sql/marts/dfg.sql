with steps as (
    select * from {{ event_sequence }} where next_activity is not null
),

variant_transitions as (
    select
        v.process,
        v.n_cases,
        unnest(list_distinct(list_zip(v.activities[:-2], v.activities[2:]))) as pair,
    from {{ variants }} as v
    where len(v.activities) > 1
),

cases_per_transition as (
    select process, pair[1] as source_activity, pair[2] as target_activity, sum(n_cases) as n_cases,
    from variant_transitions
    group by all
),

performance as (
    select
        process,
        activity as source_activity,
        next_activity as target_activity,
        count(*) as n_transitions,
        avg(wait_seconds) as mean_wait_seconds,
        median(wait_seconds) as median_wait_seconds,
        quantile_cont(wait_seconds, 0.9) as p90_wait_seconds,
        sum(wait_seconds) as total_wait_seconds,
        min(wait_seconds) as min_wait_seconds,
        max(wait_seconds) as max_wait_seconds,
    from steps
    group by all
),

final as (
    select
        p.process,
        p.source_activity,
        p.target_activity,
        p.n_transitions,
        c.n_cases,
        p.mean_wait_seconds,
        p.median_wait_seconds,
        p.p90_wait_seconds,
        p.total_wait_seconds,
        p.min_wait_seconds,
        p.max_wait_seconds,
    from performance as p
    inner join cases_per_transition as c using (process, source_activity, target_activity)
)

select * from final order by process asc, n_transitions desc, source_activity asc, target_activity asc
