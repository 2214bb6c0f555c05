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
