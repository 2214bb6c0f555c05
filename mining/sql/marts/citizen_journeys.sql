with cases as (
    select * from {{ case_variants }} where citizen_key is not null
),

per_citizen as (
    select
        citizen_key,
        count(*) as n_cases,
        count(distinct process) as n_processes,
        list(distinct process order by process) as processes,
        min(started_at) as first_event_at,
        max(ended_at) as last_event_at,
        len(list_distinct(flatten(list(org_units)))) as n_org_units,
        len(list_distinct(flatten(list(resources)))) as n_resources,
        sum(n_handovers) as n_handovers,
    from cases
    group by all
),

waiting as (
    select c.citizen_key, sum(v.waiting_days) as waiting_days, sum(v.lead_time_days) as lead_time_days,
    from {{ value_stream_cases }} as v
    inner join cases as c using (case_key)
    group by all
),

contacts as (
    select
        citizen_key,
        count(*) as n_contacts,
        count(*) filter (where is_failure_demand) as n_inbound,
        count(*) filter (where is_overproduction) as n_outbound,
        count(*) filter (where case_id is not null) as n_contacts_about_cases,
    from {{ contact_cases }}
    where citizen_key is not null
    group by all
),

final as (
    select
        p.*,
        coalesce(w.waiting_days, 0) as waiting_days,
        coalesce(w.lead_time_days, 0) as lead_time_days,
        coalesce(k.n_contacts, 0) as n_contacts,
        coalesce(k.n_inbound, 0) as n_inbound,
        coalesce(k.n_outbound, 0) as n_outbound,
        coalesce(k.n_contacts_about_cases, 0) as n_contacts_about_cases,
    from per_citizen as p
    left join waiting as w using (citizen_key)
    left join contacts as k using (citizen_key)
)

select * from final order by n_cases desc, n_org_units desc, citizen_key asc
