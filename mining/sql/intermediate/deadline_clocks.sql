with rules as (
    select * from {{ process_rules }} where deadline_days is not null
),

calendar as (
    select * from {{ calendar }}
),

sequence as (
    select s.case_key, s.process, s.case_id, s.activity, s.ts, s.lifecycle
    from {{ event_sequence }} as s
    semi join rules as r on s.process = r.process
),

cases as (
    select case_key, any_value(process) as process, any_value(case_id) as case_id, from sequence group by case_key
),

started_by_event as (
    select s.case_key, min(s.ts) as clock_started_at
    from sequence as s
    inner join rules as r on s.process = r.process and not r.deadline_from_column and s.activity = r.deadline_from
    group by all
),

started_by_column as (
    select
        c.case_key,
        min(coalesce(
            try_cast(e.attributes ->> r.deadline_from as date),
            try_strptime(e.attributes ->> r.deadline_from, '%d-%m-%Y')::date,
            try_strptime(e.attributes ->> r.deadline_from, '%d.%m.%Y')::date
        )) as start_day
    from {{ events }} as e
    inner join rules as r on e.process = r.process and r.deadline_from_column
    inner join cases as c on e.process = c.process and e.case_id = c.case_id
    group by all
),

stopped as (
    select s.case_key, min(s.ts) as clock_stopped_at
    from sequence as s
    inner join rules as r on s.process = r.process and s.activity = r.deadline_to
    where lower(
            coalesce(s.lifecycle, 'complete')) not in (
            'schedule', 'assign', 'reassign', 'start', 'suspend',
            'resume'
        )
    group by all
),

clocks as (
    select
        c.process,
        c.case_id,
        c.case_key,
        r.deadline_days,
        r.deadline_working_days,
        r.timezone,
        coalesce(b.clock_started_at, timezone(r.timezone, k.start_day::timestamp)) as clock_started_at,
        coalesce(timezone(r.timezone, b.clock_started_at)::date, k.start_day) as start_day,
        t.clock_stopped_at,
    from cases as c
    inner join rules as r on c.process = r.process
    left join started_by_event as b on c.case_key = b.case_key
    left join started_by_column as k on c.case_key = k.case_key
    left join stopped as t on c.case_key = t.case_key
),

deadline_days as (
    select
        k.*,
        case when k.deadline_working_days then w.day else k.start_day + k.deadline_days end as deadline_day,
    from clocks as k
    left join calendar as s on k.start_day = s.day
    -- the n-th working day after the start's day (n = 0: that day if it is one, else the next)
    left join calendar as w on k.deadline_working_days and w.is_working_day
        and w.n_working_days = s.n_working_days + k.deadline_days
        + case when k.deadline_days = 0 and not s.is_working_day then 1 else 0 end
),

final as (
    select
        process,
        case_id,
        case_key,
        clock_started_at,
        deadline_day,
        timezone(timezone, (deadline_day + 1)::timestamp) - interval 1 second as deadline_at,
        clock_stopped_at,
        deadline_days,
        deadline_working_days,
        timezone,
    from deadline_days
)

select * from final
