-- marts.contact_grace: one row per process: how long after a case's last event a contact still belongs to it (the
-- 95th percentile of the process's waits between steps, rounded up to whole days, at least 30 days). Whole days, so
-- that a night's new waits seldom move it and marts.contact_cases needs only its new contacts attributed.
with sequence as (
    select * from {{ event_sequence }}
),

final as (
    select
        process,
        greatest(30, ceil(quantile_cont(wait_seconds, 0.95) / 86400))::bigint * 86400 as after_last_seconds,
    from sequence
    group by all
)

select * from final order by process
