-- marts.event_sequence: one row per event of a case, in case order, with the event that follows it
-- (its activity, time, resource and org unit: the wait before it is that unit's queue).
-- Events are sorted once here (one window); every mart that walks a case reads this table.
-- The table itself is not kept in order: readers order by (process, case_id, position) when they need to.
-- Case order: (ts, source_seq, event_id), the rule pm4py applies (case, timestamp, then file order).
with events as (
    select * from {{ events }} where case_id is not null
),

ordered as (
    select
        process,
        case_id,
        event_id,
        activity,
        ts,
        lifecycle,
        resource,
        org_unit,
        citizen_key,
        row_number() over w as position,
        count(*) over (w rows between unbounded preceding and unbounded following) as n_case_events,
        lead(activity) over w as next_activity,
        lead(ts) over w as next_ts,
        lead(resource) over w as next_resource,
        lead(org_unit) over w as next_org_unit,
    from events
    window w as (partition by process, case_id order by ts, source_seq, event_id)
),

final as (
    select
        *,
        epoch_us(next_ts - ts) / 1e6 as wait_seconds,
    from ordered
)

select * from final
