with checked as (
    select * from {{ conformance_variants }}
),

cases as (
    select * from {{ case_variants }}
),

value as (
    select process, case_id, lead_time_days, cost_dkk, from {{ value_stream_cases }}
),

final as (
    select
        c.process,
        c.case_id,
        c.started_at,
        a.method,
        a.fitness,
        a.is_fitting,  -- alignment: no move on log or model but silent steps (pm4py: fitness 1); replay: no token missing or left
        a.cost as alignment_cost,
        a.worst_cost as alignment_worst_cost,
        a.token_fitness,
        a.missing_tokens,
        a.consumed_tokens,
        a.remaining_tokens,
        a.produced_tokens,
        a.deviations,
        v.lead_time_days,
        v.cost_dkk,
    from cases as c
    join checked as a on a.process = c.process and a.activities = c.instance_activities
    left join value as v on v.process = c.process and v.case_id = c.case_id
)

select * from final order by process, case_id
