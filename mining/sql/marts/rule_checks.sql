with rules as (
    select * from {{ case_rules }}
),

settings as (
    select process, timezone, as_of from {{ process_rules }}
),

calendar as (
    select * from {{ calendar }}
),

steps as (
    select s.process, s.case_id, s.activity, s.ts, s.position,
    from {{ event_sequence }} as s
    semi join rules as r on s.process = r.process
    where not s.is_start
),

cases as (
    select process, case_id, min(ts) as started_at, from steps group by all
),

firsts as (
    select process, case_id, activity, min(ts) as first_at, min(position) as first_position,
    from steps
    group by all
),

triggered as (
    select
        r.process, r.rule, r.kind, r.response, r.days, r.working_days, f.case_id, f.first_at as applies_at,
        timezone(p.timezone, f.first_at)::date as start_day, p.timezone, p.as_of,
    from rules as r
    inner join firsts as f on r.process = f.process and r.activity = f.activity
    inner join settings as p on r.process = p.process
    where r.kind = 'response'
),

responded as (
    select t.process, t.rule, t.case_id, min(s.ts) as responded_at,
    from triggered as t
    inner join
        steps
            as s
        on t.process = s.process and t.case_id = s.case_id and t.response = s.activity
            and t.applies_at <= s.ts
    group by all
),

response_deadlines as (
    select
        t.*,
        x.responded_at,
        case when t.working_days then w.day else t.start_day + t.days end as deadline_day,
    from triggered as t
    left join responded as x using (process, rule, case_id)
    left join calendar as c on t.start_day = c.day
    -- the n-th working day after the trigger's day (n = 0: that day if it is one, else the next)
    left join calendar as w on t.working_days and w.is_working_day
        and w.n_working_days = c.n_working_days + t.days
        + case when t.days = 0 and not c.is_working_day then 1 else 0 end
),

response_checks as (
    select
        process,
        rule,
        kind,
        case_id,
        applies_at,
        case
            when responded_at is not null and timezone(timezone, responded_at)::date <= deadline_day then 'kept'
            when responded_at is not null then 'violated'
            when timezone(timezone, as_of)::date > deadline_day then 'violated'
            else 'pending'
        end as status,
        coalesce(responded_at, case when timezone(timezone, as_of)::date > deadline_day then as_of end)
            as judged_at,
        greatest(0, datediff('day', deadline_day, timezone(timezone, coalesce(responded_at, as_of))::date))
            as days_late,
    from response_deadlines
),

precedence_checks as (
    select
        r.process,
        r.rule,
        r.kind,
        b.case_id,
        b.first_at as applies_at,
        case when a.first_position < b.first_position then 'kept' else 'violated' end as status,
        b.first_at as judged_at,
        null::bigint as days_late,
    from rules as r
    inner join firsts as b on r.process = b.process and r.before = b.activity
    left join firsts as a on r.process = a.process and b.case_id = a.case_id and r.activity = a.activity
    where r.kind = 'precedence'
),

occurrence_checks as (
    select
        r.process,
        r.rule,
        r.kind,
        c.case_id,
        c.started_at as applies_at,
        case
            when (f.case_id is not null) = (r.kind = 'must_happen') then 'kept'
            else 'violated'
        end as status,
        coalesce(f.first_at, c.started_at) as judged_at,
        null::bigint as days_late,
    from rules as r
    inner join cases as c on r.process = c.process
    left join firsts as f on r.process = f.process and c.case_id = f.case_id and r.activity = f.activity
    where r.kind in ('must_happen', 'must_not_happen')
),

final as (
    select * from response_checks
    union all
    select * from precedence_checks
    union all
    select * from occurrence_checks
)

select * from final order by process, rule, case_id
