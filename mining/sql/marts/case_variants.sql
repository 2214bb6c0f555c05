with sequence as (
    select * from {{ event_sequence }}
),

per_case as (
    select
        process,
        case_id,
        list(activity order by position) as activities,
        list(activity order by position) filter (where not is_start) as instance_activities,
        min(ts) as started_at,
        max(ts) as ended_at,
        max(citizen_key) as citizen_key,
        list(distinct org_unit order by org_unit) filter (where org_unit is not null) as org_units,
        list(distinct resource order by resource) filter (where resource is not null) as resources,
        count(*) filter (where org_unit != next_org_unit) as n_handovers,
    from sequence
    group by process, case_id
),

final as (
    select
        process,
        case_id,
        md5(array_to_string(activities, chr(31))) as variant_id,
        activities,
        coalesce(instance_activities, []) as instance_activities,
        len(activities) as n_events,
        started_at,
        ended_at,
        epoch_us(ended_at - started_at) / 1e6 as lead_time_seconds,
        citizen_key,
        coalesce(org_units, []) as org_units,
        coalesce(resources, []) as resources,
        n_handovers,
    from per_case
)

select * from final
