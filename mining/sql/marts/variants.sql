with cases as (
    select * from {{ case_variants }}
),

final as (
    select
        process,
        variant_id,
        any_value(activities) as activities,
        any_value(n_events) as n_events,
        count(*) as n_cases,
        count(*) / sum(count(*)) over (partition by process) as share_of_cases,
        median(lead_time_seconds) as median_lead_time_seconds,
    from cases
    group by process, variant_id
)

select * from final order by process asc, n_cases desc, variant_id asc
