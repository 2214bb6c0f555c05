-- marts.dfg: one row per process x transition (activity -> the activity that directly follows it in a case).
-- Frequency: transitions and distinct cases; performance: waiting seconds between the two events.
with steps as (
    select * from {{ event_sequence }} where next_activity is not null
),

final as (
    select
        process,
        activity as source_activity,
        next_activity as target_activity,
        count(*) as n_transitions,
        count(distinct case_id) as n_cases,
        avg(wait_seconds) as mean_wait_seconds,
        median(wait_seconds) as median_wait_seconds,
        quantile_cont(wait_seconds, 0.9) as p90_wait_seconds,
        sum(wait_seconds) as total_wait_seconds,
        min(wait_seconds) as min_wait_seconds,
        max(wait_seconds) as max_wait_seconds,
    from steps
    group by all
)

select * from final order by process, n_transitions desc, source_activity, target_activity
