with contacts as (
    select * from {{ contacts }}
),

sequence as (
    select * from {{ event_sequence }}
),

cases as (
    select process, case_id, case_key, citizen_key, started_at as opened_at, ended_at as last_event_at,
    from {{ case_variants }}
),

by_number as (
    select c.contact_id, k.process, k.case_id, k.case_key, 'case_number' as rule, 1 as n_candidates,
    from contacts as c
    inner join cases as k on k.case_id = trim(c.case_ref)
    qualify row_number() over (partition by c.contact_id order by k.process) = 1
),

candidates as (
    select
        c.contact_id,
        k.process,
        k.case_id,
        k.case_key,
        k.opened_at,
        q.queue_rank,
        count(*) over (partition by c.contact_id) as n_candidates,
        count(q.queue_rank) over (partition by c.contact_id) as n_with_queue,
    from contacts as c
    inner join (
        select k.*, k.last_event_at + to_seconds(g.after_last_seconds) as open_until
        from cases as k inner join {{ contact_grace }} as g using (process))
        as k
        on c.citizen_key = k.citizen_key
            and c.ts >= k.opened_at
            and c.ts <= k.open_until
    left join {{ contact_queues }} as q on c.source = q.source and c.org_unit = q.org_unit and k.process = q.process
    where not exists (select 1 from by_number as b where b.contact_id = c.contact_id)
),

by_citizen as (
    select
        contact_id,
        process,
        case_id,
        case_key,
        case
            when n_candidates = 1 then 'citizen_open_case'
            when n_with_queue > 0 then 'citizen_open_case_queue'
            else 'citizen_latest_case'
        end as rule,
        n_candidates,
    from candidates
    qualify row_number() over (partition by contact_id order by queue_rank asc nulls last, opened_at desc, case_id asc)
        = 1
),

attributed as (
    select * from by_number
    union all
    select * from by_citizen
),

-- the wait the contact fell in: the case's step at or before it whose next step (if any) came after it
located as (  -- ts in the exclude is a's own column (RF02 takes it for an unqualified one)
    select a.* exclude (ts), s.activity as wait_from, s.next_activity as wait_to,  -- noqa: RF02
    from (select a.*, c.ts from attributed as a inner join contacts as c using (contact_id)) as a
    left join sequence as s
        on a.case_key = s.case_key and a.process is not null
            and a.ts >= s.ts and (a.ts < s.next_ts or s.next_ts is null)
    -- at most one step matches (tied steps have next_ts = ts); the window keeps DuckDB's plan within memory
    qualify row_number() over (partition by a.contact_id order by s.ts desc) = 1
),

final as (
    select
        c.contact_id,
        c.source,
        c.ts,
        c.channel,
        c.direction,
        c.citizen_key,
        c.org_unit,
        c.duration_seconds,
        l.process,
        l.case_id,
        coalesce(l.rule, 'unattributed') as rule,
        l.n_candidates,
        l.wait_from,
        l.wait_to,
        c.direction = 'inbound' as is_failure_demand,
        c.direction = 'outbound' as is_overproduction,
    from contacts as c
    left join located as l using (contact_id)
)

select * from final
