with sequence as (
    select * from {{ event_sequence }}
),

final as (
    select process, activity, 'start' as endpoint, count(*) as n_cases
    from sequence where position = 1 group by all
    union all
    select process, activity, 'end' as endpoint, count(*) as n_cases
    from sequence where position = n_case_events group by all
)

select * from final order by process asc, endpoint desc, n_cases desc, activity asc
