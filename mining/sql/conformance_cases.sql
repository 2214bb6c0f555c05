-- marts.conformance_cases: one row per case of a process with an intended model: its variant's alignment fitness
-- against the model, whether it fits, its deviations, and its lead time and cost (to weigh what deviating costs).
with aligned as (
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
        a.fitness,
        a.fitness = 1 as is_fitting,  -- no move on log or model but silent steps (pm4py: fitness 1)
        a.cost as alignment_cost,
        a.worst_cost as alignment_worst_cost,
        a.deviations,
        v.lead_time_days,
        v.cost_dkk,
    from cases as c
    join aligned as a on a.process = c.process and a.activities = c.instance_activities
    left join value as v on v.process = c.process and v.case_id = c.case_id
)

select * from final order by process, case_id
