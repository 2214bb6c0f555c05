with contacts as (
    select * from {{ contact_cases }} where case_id is not null and wait_to is not null
),

waits as (  -- the process map's transitions and their waiting, from the waits themselves (no medians needed here)
    select
        process, source_activity, target_activity, count(*) as n_transitions,
        sum(wait_seconds) as total_wait_seconds,
    from {{ bottleneck_waits }}
    group by all
),

per_wait as (
    select
        process,
        wait_from as source_activity,
        wait_to as target_activity,
        count(*) as n_contacts,
        count(*) filter (where is_failure_demand) as n_inbound,
        count(*) filter (where is_overproduction) as n_outbound,
    from contacts
    group by all
),

final as (
    select
        w.process,
        w.source_activity,
        w.target_activity,
        w.n_transitions,
        w.total_wait_seconds / (7 * 86400) as waiting_weeks,
        coalesce(p.n_contacts, 0) as n_contacts,
        coalesce(p.n_inbound, 0) as n_inbound,
        coalesce(p.n_outbound, 0) as n_outbound,
        coalesce(p.n_inbound, 0) / nullif(waiting_weeks, 0) as inbound_per_waiting_week,
        coalesce(p.n_contacts, 0) / nullif(waiting_weeks, 0) as contacts_per_waiting_week,
    from waits as w
    left join per_wait as p using (process, source_activity, target_activity)
)

select * from final order by process asc, n_contacts desc, waiting_weeks desc
