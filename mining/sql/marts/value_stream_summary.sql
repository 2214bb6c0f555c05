with cases as (
    select * from {{ value_stream_cases }}
),

final as (
    select
        process,
        count(*) as n_cases,
        avg(lead_time_days) as mean_lead_time_days,
        quantile_cont(lead_time_days, 0.1) as p10_lead_time_days,
        quantile_cont(lead_time_days, 0.25) as p25_lead_time_days,
        median(lead_time_days) as median_lead_time_days,
        quantile_cont(lead_time_days, 0.75) as p75_lead_time_days,
        quantile_cont(lead_time_days, 0.9) as p90_lead_time_days,
        avg(process_hours) as mean_process_hours,
        avg(waiting_days) as mean_waiting_days,
        sum(process_hours) / nullif(sum(lead_time_days) * 24, 0) as process_cycle_efficiency,
        median(process_cycle_efficiency) as median_case_process_cycle_efficiency,
        avg(cost_dkk) as mean_cost_dkk,
        sum(cost_dkk) as total_cost_dkk,
        sum(rework_cost_dkk) as rework_cost_dkk,
        sum(rework_hours) / nullif(sum(process_hours), 0) as rework_share_of_process_time,
        avg(is_first_time_right::int) as first_time_right,
    from cases
    group by all
)

select * from final order by process
