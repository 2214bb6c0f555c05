-- The cases a batch touched, recomputed from all their events in the source. Grain: source x case.
-- Case attributes: an OCEL case's object attributes, else the `case:` attributes of its first event
-- (XES trace attributes). Deadlines are the mining step's (they need the process and the calendar).
-- `_batch` is the batch's rows (store.py may name its stored rows instead: the same rows).
insert or replace into staging.cases
with touched as (
    select distinct case_id from _batch where case_id is not null
),

events as (
    select e.*
    from staging.events as e
    semi join touched as t on e.case_id = t.case_id
    where e.source = $source
),

per_case as (
    select
        source,
        case_id,
        mode(process) as process,
        mode(citizen_key) as citizen_key,
        min(ts) as opened_at,
        max(ts) as closed_at,
        arg_min(attributes, (ts, source_seq)) as first_attributes,
        max(batch_id) as batch_id,
    from events
    group by source, case_id
),

final as (
    select
        c.source,
        c.case_id,
        c.process,
        c.citizen_key,
        c.opened_at,
        c.closed_at,
        null::timestamptz as deadline_at,
        coalesce(
            o.attributes,
            -- k is each lambda's own argument, not a column (RF02 takes it for one)
            to_json(map_from_entries(list_transform(
                list_filter(
                    json_keys(c.first_attributes), lambda k: starts_with(k, 'case:')  -- noqa: RF02
                ),
                lambda k: struct_pack(k := k, v := c.first_attributes ->> k)  -- noqa: RF02
            )))
        ) as attributes,
        c.batch_id,
    from per_case as c
    left join staging.objects as o on c.source = o.source and c.case_id = o.object_id
)

select * from final
