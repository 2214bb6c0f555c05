with sequence as (
    select * from {{ event_sequence }} where next_activity is not null
),

rules as (
    select * from {{ process_rules }}
),

planned as (
    select * from {{ planned_waits }}
),

firsts as (  -- a case's waits of one transition, summed on its first (no window: a hash aggregation on the case's key)
    select
        case_key,
        activity,
        next_activity,
        min(position) as position,
        sum(wait_seconds) as case_wait_seconds,
    from sequence
    group by all
),

final as (
    select
        s.process,
        s.case_id,
        s.case_key,
        s.activity as source_activity,
        s.next_activity as target_activity,
        s.ts as wait_started_at,
        s.wait_seconds,
        s.next_org_unit as org_unit,
        s.next_resource as resource,
        date_trunc('month', timezone(coalesce(r.timezone, 'Europe/Copenhagen'), s.ts))::date as month,
        p.process is not null as is_planned,
        f.case_wait_seconds,
        s.case_started_at,
        s.case_ended_at,
    from sequence as s
    left join rules as r on s.process = r.process
    left join planned as p
        on s.process = p.process and s.activity = p.source_activity and s.next_activity = p.target_activity
    left join firsts as f using (case_key, activity, next_activity, position)
)

select * from final
