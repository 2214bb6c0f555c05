-- One row per source: what its loads brought in, and where a pulled source's next pull starts. Grain: source.
with batches as (
    select * from meta.batches where status = 'done'
),

watermarks as (
    select source, watermark from meta.watermarks
),

loads as (
    select
        source,
        count(*) as n_batches,
        sum(rows_read) as n_rows_read,
        sum(rows_loaded) as n_rows_loaded,
        sum(rows_quarantined) as n_rows_quarantined,
        sum(dst_ambiguous + dst_nonexistent) as n_dst_adjusted,
        max(finished_at) as last_load_at,
    from batches
    group by source
),

final as (
    select loads.*, watermarks.watermark,
    from loads
    left join watermarks using (source)
)

select * from final order by source
