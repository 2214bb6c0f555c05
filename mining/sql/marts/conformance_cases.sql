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
        -- alignment: no move on log or model but silent steps (pm4py: fitness 1); replay: no token missing or left
        a.is_fitting,
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
    inner join checked as a on c.process = a.process and c.instance_activities = a.activities
    left join value as v on c.process = v.process and c.case_id = v.case_id
)

select * from final order by process, case_id
