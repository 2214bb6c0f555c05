with instances as (
    select * from {{ activity_instances }}
),

per_case as (
    select
        process,
        case_id,
        list(activity order by instance_order) as activities,
        min(observed_start_at) as started_at,
        max(ended_at) as ended_at,
        any_value(case_started_at) as case_started_at,
        any_value(case_ended_at) as case_ended_at,
    from instances
    group by process, case_id
),

final as (
    select
        process,
        case_id,
        md5(array_to_string(activities, chr(31))) as variant_id,
        activities,
        len(activities) as n_instances,
        started_at,
        ended_at,
        epoch_us(ended_at - started_at) / 1e6 as lead_time_seconds,
        case_started_at,
        case_ended_at,
    from per_case
)

select * from final
