-- tonight's row per process for meta.kpi_history ($night: the run's night): lead time (median and 90th
-- percentile, days), the share of decided cases within their deadline, the rework rate (share of cases with an
-- activity done twice), contacts per case and process cycle efficiency.
with value as (
    select * from marts.value_stream_summary
),

lead as (
    select process, quantile_cont(lead_time_days, 0.9) as p90_lead_time_days,
    from marts.value_stream_cases
    group by all
),

deadline as (
    select process, sum(n_met) / nullif(sum(n_met + n_missed + n_overdue), 0) as share_within_deadline,
    from marts.deadline_summary
    group by all
),

final as (
    select
        $night::date as night,
        v.process,
        now() as recorded_at,
        v.n_cases,
        v.median_lead_time_days,
        l.p90_lead_time_days,
        d.share_within_deadline,
        1 - v.first_time_right as rework_rate,
        coalesce(c.contacts_per_case, 0) as contacts_per_case,
        v.process_cycle_efficiency,
    from value as v
    left join lead as l using (process)
    left join deadline as d using (process)
    left join marts.contact_summary as c using (process)
)

select * from final order by process
