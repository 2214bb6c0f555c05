with months as (
    select * from {{ conformance_summary }}
),

models as (
    select * from {{ conformance_models }}
),

per_process as (
    select
        process,
        sum(n_cases) as n_cases,
        sum(n_fitting) as n_fitting,
        sum(n_aligned) as n_aligned,
        1 - sum(alignment_cost) / nullif(sum(alignment_worst_cost), 0) as alignment_fitness,
        0.5 * (1 - sum(missing_tokens) / nullif(sum(consumed_tokens), 0))
        + 0.5 * (1 - sum(remaining_tokens) / nullif(sum(produced_tokens), 0)) as token_fitness,
        sum(sum_case_fitness) / sum(n_cases) as mean_case_fitness,
    from months
    group by all
),

final as (
    select
        m.process,
        m.model,
        p.n_cases,
        m.n_variants,
        p.n_fitting / p.n_cases as share_fitting,
        p.n_aligned / p.n_cases as share_aligned,
        if(p.n_aligned = p.n_cases, 'alignment', 'token_replay') as fitness_method,
        if(p.n_aligned = p.n_cases, p.alignment_fitness, p.token_fitness) as fitness,
        p.alignment_fitness,
        p.token_fitness,
        p.mean_case_fitness,
        m.precision,
        m.budget_seconds,
    from models as m
    inner join per_process as p using (process)
)

select * from final order by process
