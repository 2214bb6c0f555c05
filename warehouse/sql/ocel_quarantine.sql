-- An OCEL batch's records that cannot be kept as they are, moved from its temporary tables to _quarantine
-- (inside the batch's transaction, before ocel_store.sql): nothing merged, nothing dropped unseen.

-- A duplicate event id: the first row with it is the event, every later row is quarantined (not merged into it).
insert into _quarantine
select
    $batch_id, $source, $file, source_seq, 'ocel:eid',
    'duplicate event id ' || _key || ': row ' || first_seq || ' has it already (nothing merged)',
    json_object('ocel:eid', _key, 'ocel:activity', activity, 'ocel:timestamp', ts, 'attributes', attributes::json),
    'row'
from (select *, min(source_seq) over (partition by _key) as first_seq from _ocel_events) as e
where source_seq > first_seq;

delete from _ocel_events
where source_seq > (select min(f.source_seq) from _ocel_events as f where f._key = _ocel_events._key);

-- The events and objects the log has: this file's, and those loaded from this source before.
create or replace temporary table _ocel_known_events as
select _key as event_key from _ocel_events
union
select event_key from staging.ocel_events where source = $source;

create or replace temporary table _ocel_known_objects as
select object_id from _ocel_objects
union
select object_id from staging.objects where source = $source;

-- A relation to an event or an object the log does not have (or whose event was quarantined).
create or replace temporary table _ocel_dangling as
select
    r.*,
    case when r.event_key not in (select k.event_key from _ocel_known_events as k) then 'ocel:eid' else 'ocel:oid' end
        as field,
    case when r.event_key not in (select k.event_key from _ocel_known_events as k)
            then 'event ' || r.event_key || ' is not among the log''s events (missing, or quarantined)'
        else 'object ' || r.object_id || ' is not among the log''s objects'
    end as reason
from _ocel_relations as r
where r.event_key not in (select k.event_key from _ocel_known_events as k)
    or r.object_id not in (select k.object_id from _ocel_known_objects as k);

insert into _quarantine
select
    $batch_id, $source, $file, row_number, field, reason,
    json_object('ocel:eid', event_key, 'ocel:oid', object_id, 'ocel:qualifier', qualifier), 'relation'
from _ocel_dangling;

delete from _ocel_relations where row_number in (select row_number from _ocel_dangling);

-- An event that named objects, none of which the log has: it would vanish from every case, so it is quarantined.
insert into _quarantine
select
    $batch_id, $source, $file, e.source_seq, 'ocel:oid',
    'every object it names is missing from the log''s objects ('
    || (
        select string_agg(distinct d.object_id, ', ' order by d.object_id) from _ocel_dangling as d
        where d.event_key = e._key
    ) || ')',
    json_object(
        'ocel:eid', e._key, 'ocel:activity', e.activity, 'ocel:timestamp', e.ts,
        'attributes', e.attributes::json
    ),
    'row'
from _ocel_events as e
where e._key in (select d.event_key from _ocel_dangling as d)
    and e._key not in (select r.event_key from _ocel_relations as r)
    and e._key not in (select s.event_key from staging.event_objects as s where s.source = $source);

delete from _ocel_events
where _key in (select d.event_key from _ocel_dangling as d)
    and _key not in (select r.event_key from _ocel_relations as r)
    and _key not in (select s.event_key from staging.event_objects as s where s.source = $source);

-- A later value of an object the log does not have, and a relation between objects one of which it does not have.
insert into _quarantine
select
    $batch_id, $source, $file, row_number, 'ocel:oid', 'object ' || object_id || ' is not among the log''s objects',
    json_object('ocel:oid', object_id, 'ocel:timestamp', ts, 'ocel:field', field, 'ocel:value', value), 'change'
from _ocel_changes
where object_id not in (select k.object_id from _ocel_known_objects as k);

delete from _ocel_changes where object_id not in (select k.object_id from _ocel_known_objects as k);

insert into _quarantine
select
    $batch_id, $source, $file, row_number,
    case when object_id not in (select k.object_id from _ocel_known_objects as k) then 'ocel:oid' else 'ocel:oid_2' end,
    'object ' || case when object_id not in (select k.object_id from _ocel_known_objects as k) then object_id
        else related_id
    end || ' is not among the log''s objects',
    json_object('ocel:oid', object_id, 'ocel:oid_2', related_id, 'ocel:qualifier', qualifier), 'o2o'
from _ocel_o2o
where object_id not in (select k.object_id from _ocel_known_objects as k)
    or related_id not in (select k.object_id from _ocel_known_objects as k);

delete from _ocel_o2o
where object_id not in (select k.object_id from _ocel_known_objects as k)
    or related_id not in (select k.object_id from _ocel_known_objects as k)
