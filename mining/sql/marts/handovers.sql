with steps as (
    select * from {{ event_sequence }}
    where next_activity is not null and org_unit is not null and next_org_unit is not null
        and org_unit != next_org_unit
),

final as (
    select
        process,
        org_unit as from_org_unit,
        next_org_unit as to_org_unit,
        count(*) as n_handovers,
        count(distinct case_id) as n_cases,
        sum(wait_seconds) / 86400 as total_wait_days,
        median(wait_seconds) / 86400 as median_wait_days,
    from steps
    group by all
)

select * from final order by process asc, n_handovers desc, from_org_unit asc, to_org_unit asc
