-- A case's variant without sorting its events again: event_sequence numbered them, so an exclusive or of a hash of each
-- (position, activity) pair names the sequence, and the case grouped by its integer key is a hash aggregation.
-- Its list of activities is the variant's (the variants mart builds it once per variant, from one of its cases).
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

per_case as (
    select
        case_key,
        min(process) as process,
        max(process) as last_process,
        min(case_id) as case_id,
        max(case_id) as last_case_id,
        bit_xor(hash(xor(activity_code, position::ubigint))) as steps_hash,
        bit_xor(hash(xor(activity_code, instance_number::ubigint))) filter (where not is_start) as instances_hash,
        count(*) as n_events,
        count(*) filter (where not is_start) as n_instances,
        min(ts) as started_at,
        max(ts) as ended_at,
        max(citizen_key) as citizen_key,
        list(distinct org_unit order by org_unit) filter (where org_unit is not null) as org_units,
        list(distinct resource order by resource) filter (where resource is not null) as resources,
        count(*) filter (where org_unit != next_org_unit) as n_handovers,
    from coded
    group by case_key
),

checked as (  -- two cases on one key (a 64-bit hash collision) would merge them: stop rather than miscount
    select * exclude (last_process, last_case_id)
    from per_case
    where
        case
            when process is distinct from last_process or case_id != last_case_id
                then error('two cases share the case key ' || case_key || ' (a 64-bit hash collision): mining stops')
            else true
        end
),

instance_variants as (
    select n_instances, instances_hash, min(case_key) as case_key,
    from checked
    where n_instances > 0
    group by all
),

instance_lists as (
    select
        v.n_instances,
        v.instances_hash,
        list(s.activity order by s.position) filter (where not s.is_start) as activities,
    from instance_variants as v
    inner join sequence as s using (case_key)
    group by all
),

final as (
    select
        c.process,
        c.case_id,
        c.case_key,
        v.variant_id,
        v.activities,
        coalesce(i.activities, []) as instance_activities,
        c.n_events,
        c.started_at,
        c.ended_at,
        epoch_us(c.ended_at - c.started_at) / 1e6 as lead_time_seconds,
        c.citizen_key,
        coalesce(c.org_units, []) as org_units,
        coalesce(c.resources, []) as resources,
        c.n_handovers,
    from checked as c
    inner join {{ variants }} as v
        on c.steps_hash = v.steps_hash and c.n_events = v.n_events and c.process is not distinct from v.process
    left join instance_lists as i using (n_instances, instances_hash)
)

select * from final
