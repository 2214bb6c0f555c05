with cases as (
    select * from {{ conformance_cases }}
),

flagged as (
    select process, case_id, unnest(deviations, recursive := true),
    from cases
),

per_process as (
    select process, count(*) as n_cases, from cases group by all
),

per_deviation as (
    select
        f.process,
        f.kind,
        f.activity,
        count(*) as n_cases,
        median(c.lead_time_days) as median_lead_time_days,
        avg(c.cost_dkk) as mean_cost_dkk,
    from flagged as f
    inner join cases as c using (process, case_id)
    group by all
),

without as (
    select
        d.process,
        d.kind,
        d.activity,
        median(c.lead_time_days) as median_lead_time_days_without,
        avg(c.cost_dkk) as mean_cost_dkk_without,
    from per_deviation as d
    inner join cases as c on d.process = c.process
    where not exists (
            select
                1 from flagged as f where f.process = c.process and f.case_id = c.case_id
                and f.kind = d.kind and f.activity = d.activity
        )
    group by all
),

final as (
    select
        d.process,
        d.kind,
        d.activity,
        d.n_cases,
        d.n_cases / p.n_cases as share_of_cases,
        d.median_lead_time_days,
        w.median_lead_time_days_without,
        d.median_lead_time_days - w.median_lead_time_days_without as extra_median_lead_time_days,
        d.mean_cost_dkk,
        w.mean_cost_dkk_without,
        rank()
            over (partition by d.process order by d.n_cases * greatest(coalesce(
                d.median_lead_time_days - w.median_lead_time_days_without, 0
            ), 0) desc, d.n_cases desc)
            as rank_by_impact,
    from per_deviation as d
    inner join per_process as p using (process)
    left join without as w using (process, kind, activity)
)

select * from final order by process, rank_by_impact, kind, activity
