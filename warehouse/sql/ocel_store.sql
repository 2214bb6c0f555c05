-- An OCEL batch's parts, from its temporary tables into staging: only rows not there yet.
insert or ignore into staging.ocel_events
select
    source, _key, any_value(activity), any_value(ts), any_value(resource), any_value(attributes),
    min(source_seq), any_value(batch_id)
from _ocel_events group by source, _key;

insert or ignore into staging.objects
select $source, object_id, any_value(object_type), any_value(attributes), $batch_id
from _ocel_objects group by object_id;

insert or ignore into staging.object_changes
select $source, object_id, ts, field, any_value(value), $batch_id
from _ocel_changes group by object_id, ts, field;

insert or ignore into staging.event_objects
select distinct $source, event_key, object_id, qualifier, $batch_id from _ocel_relations;

insert or ignore into staging.object_objects
select distinct $source, object_id, related_id, qualifier, $batch_id from _ocel_o2o;

-- Flattened: one event per event and related object of the case type (pm4py's ocel_flattening).
insert into _batch
select e.* replace (r.object_id as case_id, e._key || chr(31) || r.object_id as _key)
from _ocel_events as e
inner join (select distinct event_key, object_id from staging.event_objects where source = $source) as r
    on e._key = r.event_key
inner join staging.objects as o
    on o.source = $source and r.object_id = o.object_id and o.object_type = $object_type;
