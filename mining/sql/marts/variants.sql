-- The variants straight from the sequence, with no sort: a case's steps are named by an exclusive or of a hash of its
-- (position, activity) pairs (a hash aggregation on the case's key), and each variant's list of activities is built
-- once, from one of its cases
with sequence as (
    select * from {{ event_sequence }}
),

-- each activity's 64-bit code, from MD5 (DuckDB's hash() is weak on text: two names could share it and two
-- variants merge), made once per name and joined
names as (
    select activity, md5_number_lower(activity) as code, from sequence group by activity
),

coded as (
    select s.*, coalesce(n.code, 0) as activity_code,
    from sequence as s
    left join names as n on s.activity = n.activity
),

cases as (
    select
        case_key,
        any_value(process) as process,
        bit_xor(hash(xor(activity_code, position::ubigint))) as steps_hash,
        count(*) as n_events,
        epoch_us(max(ts) - min(ts)) / 1e6 as lead_time_seconds,
    from coded
    group by case_key
),

per_variant as (
    select
        process,
        steps_hash,
        n_events,
        count(*) as n_cases,
        count(*) / sum(count(*)) over (partition by process) as share_of_cases,
        median(lead_time_seconds) as median_lead_time_seconds,
        min(case_key) as case_key,
    from cases
    group by process, steps_hash, n_events
),

lists as (
    select s.case_key, list(s.activity order by s.position) as activities,
    from sequence as s
    semi join per_variant using (case_key)
    group by s.case_key
),

final as (
    select
        v.process,
        md5(array_to_string(l.activities, chr(31))) as variant_id,
        l.activities,
        v.n_events,
        v.n_cases,
        v.share_of_cases,
        v.median_lead_time_seconds,
        v.steps_hash,
    from per_variant as v
    inner join lists as l using (case_key)
)

select * from final order by process asc, n_cases desc, variant_id asc
