with cases as (
    select c.*, coalesce(r.timezone, 'UTC') as timezone  -- a process checked but not configured: months in UTC
    from {{ conformance_cases }} as c
    left join {{ process_rules }} as r using (process)
),

per_month as (
    select
        process,
        date_trunc('month', timezone(timezone, started_at))::date as month,
        count(*) as n_cases,
        count(*) filter (where is_fitting) as n_fitting,
        count(*) filter (where method = 'alignment') as n_aligned,
        sum(alignment_cost) as alignment_cost,
        sum(alignment_worst_cost) as alignment_worst_cost,
        sum(missing_tokens) as missing_tokens,
        sum(consumed_tokens) as consumed_tokens,
        sum(remaining_tokens) as remaining_tokens,
        sum(produced_tokens) as produced_tokens,
        sum(fitness) as sum_case_fitness,
    from cases
    group by all
),

final as (
    select
        process,
        month,
        n_cases,
        n_fitting / n_cases as share_fitting,
        n_aligned / n_cases as share_aligned,
        if(n_aligned = n_cases, 'alignment', 'token_replay') as fitness_method,
        if(
            n_aligned = n_cases, 1 - alignment_cost / nullif(alignment_worst_cost, 0),
            0.5 * (1 - missing_tokens / nullif(consumed_tokens, 0))
            + 0.5 * (1 - remaining_tokens / nullif(produced_tokens, 0))
        ) as fitness,
        1 - alignment_cost / nullif(alignment_worst_cost, 0) as alignment_fitness,
        0.5 * (1 - missing_tokens / nullif(consumed_tokens, 0))
        + 0.5 * (1 - remaining_tokens / nullif(produced_tokens, 0)) as token_fitness,
        sum_case_fitness / n_cases as mean_case_fitness,
        n_fitting,
        n_aligned,
        alignment_cost,
        alignment_worst_cost,
        missing_tokens,
        consumed_tokens,
        remaining_tokens,
        produced_tokens,
        sum_case_fitness,
    from per_month
)

select * from final order by process, month
