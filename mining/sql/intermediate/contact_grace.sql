with sequence as (
    select * from {{ event_sequence }}
),

-- the waits that began before the month of the newest event: a night's new events do not move the grace (it moves
-- once a month); while the data hold no earlier month, every wait
horizon as (
    select date_trunc('month', max(ts)) as month_start, from sequence
),

final as (
    select
        s.process,
        greatest(
            30,
            ceil(
                coalesce(
                    quantile_cont(s.wait_seconds, 0.95) filter (where s.ts < h.month_start),
                    quantile_cont(s.wait_seconds, 0.95)
                ) / 86400
            )
        )::bigint * 86400 as after_last_seconds,
    from sequence as s
    cross join horizon as h
    group by all
)

select * from final order by process
