with variants as (
    select * from {{ instance_variants }}
),

final as (
    select process, activities[1] as activity, 'start' as endpoint, sum(n_cases) as n_cases
    from variants group by all
    union all
    select process, activities[-1] as activity, 'end' as endpoint, sum(n_cases) as n_cases
    from variants group by all
)

select * from final order by process asc, endpoint desc, n_cases desc, activity asc
