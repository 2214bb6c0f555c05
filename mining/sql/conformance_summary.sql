-- marts.conformance_summary: one row per process x month (local month the case began): cases, the share that fit
-- the intended model, and the alignment fitness of those cases (pm4py's log fitness: 1 - costs / worst costs).
with cases as (
    select c.*, r.timezone
    from {{ conformance_cases }} as c
    join {{ process_rules }} as r using (process)
),

final as (
    select
        process,
        date_trunc('month', timezone(timezone, started_at))::date as month,
        count(*) as n_cases,
        avg(is_fitting::int) as share_fitting,
        1 - sum(alignment_cost) / nullif(sum(alignment_worst_cost), 0) as fitness,
        avg(fitness) as mean_case_fitness,
    from cases
    group by all
)

select * from final order by process, month
