with contacts as (
    select * from {{ contact_cases }} where case_id is not null
),

cases as (
    select process, count(*) as n_cases from {{ case_variants }} group by all
),

final as (
    select
        k.process,
        k.n_cases,
        count(c.contact_id) as n_contacts,
        count(distinct c.case_id) as n_cases_with_contacts,
        count(c.contact_id) / k.n_cases as contacts_per_case,
        count(*) filter (where c.is_failure_demand) as n_inbound,
        count(*) filter (where c.is_overproduction) as n_outbound,
        count(*) filter (where c.is_failure_demand) / nullif(count(c.contact_id), 0) as share_failure_demand,
        count(*) filter (where c.is_overproduction) / nullif(count(c.contact_id), 0) as share_overproduction,
        count(*) filter (where c.channel = 'phone') as n_phone,
        count(*) filter (where c.channel = 'email') as n_email,
        count(*) filter (where c.channel = 'digital_post') as n_digital_post,
        count(*) filter (where c.channel = 'visit') as n_visit,
        sum(c.duration_seconds) / 3600 as contact_hours,
    from cases as k
    left join contacts as c using (process)
    group by k.process, k.n_cases
)

select * from final order by process
