-- marts.deadlines: one row per case of a process with a deadline rule: when its clock started, its deadline,
-- when the clock stopped, and whether the deadline was met and by how much it was missed.
-- Clock start: the first `deadline_from` event, or the date in the case's `deadline_from` attribute
-- (deadline_from_column). Deadline: the end (23:59:59 local) of the day `deadline_days` calendar days, or working
-- days (Danish public holidays and office closing days excluded), after the start's day. Stop: the first
-- `deadline_to` event that completes it (a start/complete pair stops at the complete). Status: met, missed, overdue (no stop yet, deadline passed at `as_of`), open, no_start.
with rules as (
    select * from {{ process_rules }} where deadline_days is not null
),

calendar as (
    select * from {{ calendar }}
),

sequence as (
    select s.process, s.case_id, s.activity, s.ts, s.lifecycle
    from {{ event_sequence }} as s
    semi join rules as r on r.process = s.process
),

cases as (
    select process, case_id from sequence group by all
),

started_by_event as (
    select s.process, s.case_id, min(s.ts) as clock_started_at
    from sequence as s
    join rules as r on r.process = s.process and not r.deadline_from_column and s.activity = r.deadline_from
    group by all
),

started_by_column as (
    select e.process, e.case_id, min(coalesce(
        try_cast(e.attributes->>r.deadline_from as date),
        try_strptime(e.attributes->>r.deadline_from, '%d-%m-%Y')::date,
        try_strptime(e.attributes->>r.deadline_from, '%d.%m.%Y')::date
    )) as start_day
    from {{ events }} as e
    join rules as r on r.process = e.process and r.deadline_from_column
    semi join cases as c on c.process = e.process and c.case_id = e.case_id
    group by all
),

stopped as (
    select s.process, s.case_id, min(s.ts) as clock_stopped_at
    from sequence as s
    join rules as r on r.process = s.process and s.activity = r.deadline_to
    where lower(coalesce(s.lifecycle, 'complete')) not in ('schedule', 'assign', 'reassign', 'start', 'suspend',
                                                            'resume')
    group by all
),

clocks as (
    select
        c.process,
        c.case_id,
        r.deadline_days,
        r.deadline_working_days,
        r.timezone,
        r.as_of,
        coalesce(b.clock_started_at, timezone(r.timezone, k.start_day::timestamp)) as clock_started_at,
        coalesce(timezone(r.timezone, b.clock_started_at)::date, k.start_day) as start_day,
        t.clock_stopped_at,
    from cases as c
    join rules as r on r.process = c.process
    left join started_by_event as b on b.process = c.process and b.case_id = c.case_id
    left join started_by_column as k on k.process = c.process and k.case_id = c.case_id
    left join stopped as t on t.process = c.process and t.case_id = c.case_id
),

deadline_days as (
    select
        k.*,
        case when k.deadline_working_days then w.day else k.start_day + k.deadline_days end as deadline_day,
    from clocks as k
    left join calendar as s on s.day = k.start_day
    -- the n-th working day after the start's day (n = 0: that day if it is one, else the next)
    left join calendar as w on k.deadline_working_days and w.is_working_day
        and w.n_working_days = s.n_working_days + k.deadline_days
            + case when k.deadline_days = 0 and not s.is_working_day then 1 else 0 end
),

measured as (
    select
        d.*,
        timezone(d.timezone, (d.deadline_day + 1)::timestamp) - interval 1 second as deadline_at,
        coalesce(d.clock_stopped_at, d.as_of) as measured_at,
    from deadline_days as d
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
            then epoch_us(m.measured_at - m.deadline_at) / 86400e6 else 0 end as days_over_deadline,
        case when m.measured_at > m.deadline_at
            then e.n_working_days - w.n_working_days else 0 end as working_days_over_deadline,
        m.deadline_days,
        m.deadline_working_days,
    from measured as m
    left join calendar as w on w.day = m.deadline_day
    left join calendar as e on e.day = timezone(m.timezone, m.measured_at)::date
)

select * from final order by process, case_id
