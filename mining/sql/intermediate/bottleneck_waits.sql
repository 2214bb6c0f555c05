with sequence as (
    select * from {{ event_sequence }} where next_activity is not null
),

rules as (
    select * from {{ process_rules }}
),

planned as (
    select * from {{ planned_waits }}
),

final as (
    select
        s.process,
        s.case_id,
        s.activity as source_activity,
        s.next_activity as target_activity,
        s.ts as wait_started_at,
        s.wait_seconds,
        s.next_org_unit as org_unit,
        s.next_resource as resource,
        date_trunc('month', timezone(coalesce(r.timezone, 'Europe/Copenhagen'), s.ts))::date as month,
        p.process is not null as is_planned,
        case when row_number() over t = 1 then sum(s.wait_seconds) over t end as case_wait_seconds,
        s.case_started_at,
        s.case_ended_at,
    from sequence as s
    left join rules as r on s.process = r.process
    left join planned as p
        on s.process = p.process and s.activity = p.source_activity and s.next_activity = p.target_activity
    window t as (
        partition by s.process, s.case_id, s.activity, s.next_activity order by s.ts, s.position
        rows between unbounded preceding and unbounded following
    )
)

select * from final
