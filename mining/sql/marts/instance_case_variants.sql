-- As case_variants, in instance order: the variant named by a hash of the (instance order, activity) pairs, its list
-- of activities built once per variant from one of its cases
with instances as (
    select * from {{ activity_instances }}
),

-- each activity's 64-bit code, from MD5 (DuckDB's hash() is weak on text: two names could share it and two
-- variants merge), made once per name and joined
names as (
    select activity, md5_number_lower(activity) as code, from instances group by activity
),

coded as (
    select s.*, coalesce(n.code, 0) as activity_code,
    from instances as s
    left join names as n on s.activity = n.activity
),

per_case as (
    select
        case_key,
        any_value(process) as process,
        any_value(case_id) as case_id,
        bit_xor(hash(xor(activity_code, instance_order::ubigint))) as steps_hash,
        count(*) as n_instances,
        min(observed_start_at) as started_at,
        max(ended_at) as ended_at,
        any_value(case_started_at) as case_started_at,
        any_value(case_ended_at) as case_ended_at,
    from coded
    group by case_key
),

variants as (
    select n_instances, steps_hash, min(case_key) as case_key,
    from per_case
    group by all
),

variant_lists as (
    select
        v.n_instances,
        v.steps_hash,
        list(i.activity order by i.instance_order) as activities,
        md5(array_to_string(activities, chr(31))) as variant_id,
    from variants as v
    inner join instances as i using (case_key)
    group by all
),

final as (
    select
        c.process,
        c.case_id,
        c.case_key,
        v.variant_id,
        v.activities,
        c.n_instances,
        c.started_at,
        c.ended_at,
        epoch_us(c.ended_at - c.started_at) / 1e6 as lead_time_seconds,
        c.case_started_at,
        c.case_ended_at,
    from per_case as c
    inner join variant_lists as v using (n_instances, steps_hash)
)

select * from final
