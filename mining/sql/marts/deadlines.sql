with clocks as (
    select * from {{ deadline_clocks }}
),

rules as (
    select process, as_of from {{ process_rules }}
),

calendar as (
    select * from {{ calendar }}
),

measured as (
    select c.*, r.as_of, coalesce(c.clock_stopped_at, r.as_of) as measured_at,
    from clocks as c
    inner join rules as r using (process)
),

final as (
    select
        m.process,
        m.case_id,
        m.clock_started_at,
        m.deadline_at,
        m.clock_stopped_at,
        case
            when m.deadline_day is null then 'no_start'
            when m.clock_stopped_at is not null and m.clock_stopped_at <= m.deadline_at then 'met'
            when m.clock_stopped_at is not null then 'missed'
            when m.deadline_at < m.as_of then 'overdue'
            else 'open'
        end as status,
        case
            when m.deadline_day is null then null
            when m.clock_stopped_at is not null then m.clock_stopped_at <= m.deadline_at
            when m.deadline_at < m.as_of then false
        end as is_met,
        case when m.measured_at > m.deadline_at
                then epoch_us(m.measured_at - m.deadline_at) / 86400e6
            else 0
        end as days_over_deadline,
        case when m.measured_at > m.deadline_at
                then e.n_working_days - w.n_working_days
            else 0
        end as working_days_over_deadline,
        m.deadline_days,
        m.deadline_working_days,
    from measured as m
    left join calendar as w on m.deadline_day = w.day
    left join calendar as e on e.day = timezone(m.timezone, m.measured_at)::date
)

select * from final order by process, case_id
