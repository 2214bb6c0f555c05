with deadlines as (
    select d.*, r.timezone
    from {{ deadlines }} as d
    inner join {{ process_rules }} as r using (process)
    where d.status != 'no_start'
),

final as (
    select
        process,
        date_trunc('month', timezone(timezone, clock_started_at))::date as month,
        count(*) as n_cases,
        count(*) filter (where status = 'met') as n_met,
        count(*) filter (where status = 'missed') as n_missed,
        count(*) filter (where status = 'overdue') as n_overdue,
        count(*) filter (where status = 'open') as n_open,
        n_met / nullif(n_met + n_missed, 0) as share_met_of_decided,
        n_met / nullif(n_met + n_missed + n_overdue, 0) as share_within_deadline,
        median(days_over_deadline) filter (where status = 'missed') as median_days_over_missed,
        sum(days_over_deadline) filter (where status in ('missed', 'overdue')) as total_days_over,
    from deadlines
    group by all
)

select * from final order by process, month
