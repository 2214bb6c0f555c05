with events as (
    select
        *,
        lower(coalesce(lifecycle, 'complete')) = 'start' as is_start,
        -- the case as one integer: partitions, joins and groups on it hash and sort 8 bytes, not two strings. From
        -- MD5, not DuckDB's hash(): that one is weak on text (at 2.7M cases, 5,360 pairs of case numbers such as
        -- ...-1005-25-100 and ...-1075-25-107 shared it)
        md5_number_lower(concat(coalesce(process, chr(30)), chr(31), case_id)) as case_key,
    from {{ events }}
    where case_id is not null
),

ordered as (
    select
        case_key,
        process,
        case_id,
        event_id,
        activity,
        ts,
        start_ts,
        lifecycle,
        is_start,
        resource,
        org_unit,
        citizen_key,
        row_number() over w as position,
        count(*) over (w rows between unbounded preceding and unbounded following) as n_case_events,
        min(ts) over (w rows between unbounded preceding and unbounded following) as case_started_at,
        max(ts) over (w rows between unbounded preceding and unbounded following) as case_ended_at,
        bool_or(is_start or start_ts is not null) over (w rows between unbounded preceding and unbounded following)
            as case_has_starts,
        lead(activity) over w as next_activity,
        lead(ts) over w as next_ts,
        lead(resource) over w as next_resource,
        lead(org_unit) over w as next_org_unit,
        sum(case when is_start then 0 else 1 end) over (w rows between unbounded preceding and current row)
            as instance_number,
        max(case when is_start then null else ts end) over (w rows between unbounded preceding and 1 preceding)
            as previous_end_at,
    from events
    window w as (partition by case_key order by ts, source_seq, event_id)
),

final as (
    select
        *,
        epoch_us(next_ts - ts) / 1e6 as wait_seconds,
    from ordered
)

select * from final
