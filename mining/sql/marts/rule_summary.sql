with checks as (
    select c.*, p.timezone
    from {{ rule_checks }} as c
    inner join {{ process_rules }} as p using (process)
),

final as (
    select
        process,
        rule,
        any_value(kind) as kind,
        date_trunc('month', timezone(timezone, applies_at))::date as month,
        count(*) as n_cases,
        count(*) filter (where status = 'kept') as n_kept,
        count(*) filter (where status = 'violated') as n_violated,
        count(*) filter (where status = 'pending') as n_pending,
        count(*) filter (where status = 'kept') / nullif(count(*) filter (where status != 'pending'), 0)
            as share_kept,
        median(days_late) filter (where status = 'violated') as median_days_late,
    from checks
    group by process, rule, month
)

select * from final order by process, rule, month
