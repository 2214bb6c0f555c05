-- marts.activity_instances: one row per activity done in a case (a completion, or an event without lifecycle),
-- with its hands-on time: measured from its start event where the source has start/complete pairs (the k-th start
-- of an activity in a case pairs with its k-th completion), else the configured standard time, else unknown;
-- the waiting before it (from the end of the previous activity to its start); whether it is rework (the
-- activity was done before in the case) and who did it the time before.
with sequence as (
    select process, case_id, activity, is_start, position, ts, resource, org_unit, instance_number, previous_end_at,
        case_started_at, case_ended_at,
    from {{ event_sequence }}
),

numbered as (
    select
        *,
        row_number() over o as occurrence,
        lag(resource) over o as previous_resource,
        lag(instance_number) over o as previous_instance_number,
    from sequence
    window o as (partition by process, case_id, activity, is_start order by position)
),

starts as (
    select process, case_id, activity, occurrence, ts as started_at, position as start_position,
    from numbered
    where is_start
),

instances as (
    select
        n.*,
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
            when measured_start is not null then epoch_us(ts - measured_start) / 1e6
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
        instance_number,
        occurrence,
        occurrence > 1 as is_rework,
        resource,
        previous_resource,
        previous_instance_number,
        org_unit,
        coalesce(measured_start, ts - to_microseconds((coalesce(process_seconds, 0) * 1e6)::bigint))
            as started_at,
        ts as ended_at,
        process_time_source,
        process_seconds,
        -- null for a case's first step (nothing before it to wait for)
        case when previous_end_at is not null
            then greatest(0, epoch_us(started_at - previous_end_at) / 1e6) end as wait_before_seconds,
        case_started_at,
        case_ended_at,
    from timed
)

select * from final
