with contacts as (
    select * from {{ contacts }}
),

cases as (
    select process, case_id, started_at as opened_at, ended_at as last_event_at,
    from {{ case_variants }}
),

-- each numbered contact's case, as marts.contact_cases finds it (the first process with that case number)
numbered as (
    select c.contact_id, c.source, c.org_unit, k.process,
    from contacts as c
    inner join cases as k on k.case_id = trim(c.case_ref)
    qualify row_number() over (partition by c.contact_id order by k.process) = 1
),

case_days as (
    select process, sum(epoch_us(last_event_at - opened_at) / 86400e6 + 1) as case_days, from cases group by all
),

served as (
    select n.source, n.org_unit, n.process, count(*) / any_value(d.case_days) as numbered_per_case_day,
    from numbered as n
    inner join case_days as d using (process)
    group by all
),

final as (
    select
        *,
        rank() over (partition by source, org_unit order by numbered_per_case_day desc) as queue_rank,
    from served
)

select * from final order by source, org_unit, queue_rank, process
