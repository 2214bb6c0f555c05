-- marts.activity_instances: one row per activity done in a case (a completion, or an event without lifecycle),
-- with its hands-on time: measured from its start event where the source has start/complete pairs (the k-th start
-- of an activity in a case pairs with its k-th completion), else the configured standard time, else unknown;
-- the waiting before it (from the end of the previous activity to its start); and whether it is rework (the
-- activity was done before in the case).
with sequence as (
    select *, lower(coalesce(lifecycle, 'complete')) = 'start' as is_start from {{ event_sequence }}
),

numbered as (
    select
        *,
        row_number() over (partition by process, case_id, activity, is_start order by position) as occurrence,
    from sequence
),

starts as (
    select process, case_id, activity, occurrence, ts as started_at, position as start_position,
    from numbered
    where is_start
),

instances as (
    select
        n.process,
        n.case_id,
        n.activity,
        n.position,
        n.occurrence,
        n.resource,
        n.org_unit,
        n.ts as ended_at,
        case when s.start_position < n.position then s.started_at end as measured_start,
        t.standard_minutes,
    from numbered as n
    left join starts as s using (process, case_id, activity, occurrence)
    left join {{ standard_times }} as t using (process, activity)
    where not n.is_start
),

timed as (
    select
        *,
        case
            when measured_start is not null then 'measured'
            when standard_minutes is not null then 'standard'
            else 'unknown'
        end as process_time_source,
        case
            when measured_start is not null then epoch_us(ended_at - measured_start) / 1e6
            else standard_minutes * 60
        end as process_seconds,
    from instances
),

final as (
    select
        process,
        case_id,
        activity,
        position,
        occurrence,
        occurrence > 1 as is_rework,
        resource,
        org_unit,
        coalesce(measured_start, ended_at - to_microseconds((coalesce(process_seconds, 0) * 1e6)::bigint))
            as started_at,
        ended_at,
        process_time_source,
        process_seconds,
        lag(ended_at) over (partition by process, case_id order by position) as previous_ended_at,
        -- null for a case's first step (nothing before it to wait for)
        case when previous_ended_at is not null
            then greatest(0, epoch_us(started_at - previous_ended_at) / 1e6) end as wait_before_seconds,
    from timed
)

select * from final
