with sequence as (
    select
        case_key, process, case_id, activity, is_start, position, ts, start_ts, resource, org_unit, instance_number,
        previous_end_at, case_started_at, case_ended_at, case_has_starts, next_activity, next_ts,
    from {{ event_sequence }}
),

-- the k-th completion of an activity in a case, and its k-th start: completions and starts are numbered apart, each
-- read once (a window whose rows are read twice is materialized whole, which at 10M events spills)
numbered as (
    select
        *,
        row_number() over o as occurrence,
        lag(resource) over o as previous_resource,
        lag(instance_number) over o as previous_instance_number,
    from sequence
    where not is_start
    window o as (partition by case_key, activity order by position)
),

starts as (
    select
        case_key,
        activity,
        row_number() over (partition by case_key, activity order by position) as occurrence,
        ts as started_at,
        position as start_position,
    from {{ event_sequence }}
    where is_start
),

instances as (
    select
        n.*,
        coalesce(n.start_ts, case when s.start_position < n.position then s.started_at end) as measured_start,
        t.standard_minutes,
    from numbered as n
    left join starts as s using (case_key, activity, occurrence)
    left join {{ standard_times }} as t using (process, activity)
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
        case_key,
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
                then greatest(0, epoch_us(started_at - previous_end_at) / 1e6)
        end as wait_before_seconds,
        case_started_at,
        case_ended_at,
        coalesce(measured_start, ts) as observed_start_at,
        case_has_starts,
        next_activity as next_event_activity,
        next_ts as next_event_at,
    from timed
),

-- in a case with no start event and no interval row each event is a whole instance, in case order: the instance
-- order is the event order, with no window to sort again; only cases with measured starts are sorted by start
in_instance_order as (
    select
        * exclude (case_has_starts, next_event_activity, next_event_at),
        row_number() over i as instance_order,
        lead(activity) over i as next_activity,
        lead(observed_start_at) over i as next_started_at,
    from final
    where case_has_starts
    window i as (partition by case_key order by observed_start_at, ended_at, position)
    union all by name
    select
        * exclude (case_has_starts, next_event_activity, next_event_at),
        instance_number::bigint as instance_order,
        next_event_activity as next_activity,
        next_event_at as next_started_at,
    from final
    where not case_has_starts
)

select *, epoch_us(next_started_at - ended_at) / 1e6 as wait_to_next_seconds, from in_instance_order
