from django.db import migrations

# The functions of the `audit_statement_actor` and `audit_row_change` triggers that
# practica.audit.database installs on every practice table (after each migrate). Arguments: object type, then 'row' with the label columns
# (comma-separated) and a JSON map of column to field name, or 'link' (a many-to-many table) with
# the owner's column and the field's name. The actor is read from the comment the app ends each
# write with (JSON), once per statement; without one the change is the system's.
# The event goes to the trail of the table's own schema, whatever the search path.
FUNCTION = r"""
-- Before each statement on a practice table: the actor comment that ends the statement (see
-- practica.audit.database), or none, kept for the row triggers of this statement. Read once per
-- statement, not per row: a bulk insert's text is long.
CREATE OR REPLACE FUNCTION audit_statement_actor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config(
        'practica.actor',
        coalesce(substring(right(current_query(), 4000) from '/\*practica-actor:([^/*]*)\*/\s*$'), '{}'),
        true
    );
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- Read from the statement by audit_statement_actor, once per statement.
    actor jsonb := coalesce(nullif(current_setting('practica.actor', true), ''), '{}')::jsonb;
    subject jsonb;
    old_row jsonb;
    action text;
    object_id text;
    label text := '';
    changed jsonb := '[]'::jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        subject := to_jsonb(OLD);
        action := 'delete';
    ELSE
        subject := to_jsonb(NEW);
        action := CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'update' END;
    END IF;

    IF TG_ARGV[1] = 'link' THEN
        action := 'update';
        object_id := subject ->> TG_ARGV[2];
        changed := jsonb_build_array(TG_ARGV[3]);
    ELSE
        object_id := subject ->> 'id';
        IF TG_OP = 'UPDATE' THEN
            old_row := to_jsonb(OLD);
            SELECT coalesce(jsonb_agg(coalesce(TG_ARGV[3]::jsonb ->> col.key, col.key) ORDER BY col.position), '[]'::jsonb)
              INTO changed
              FROM json_each(to_json(NEW)) WITH ORDINALITY AS col(key, value, position)
             WHERE col.value::jsonb IS DISTINCT FROM old_row -> col.key
               AND col.key NOT IN ('updated_at', 'last_login');
            IF changed = '[]'::jsonb THEN
                RETURN NULL;  -- a save that changes nothing is no event
            END IF;
        END IF;
        IF TG_ARGV[2] <> '' THEN
            SELECT coalesce(left(string_agg(subject ->> l.col, ', ' ORDER BY l.position), 200), '')
              INTO label
              FROM unnest(string_to_array(TG_ARGV[2], ',')) WITH ORDINALITY AS l(col, position);
        END IF;
    END IF;

    IF TG_TABLE_SCHEMA = current_schema() THEN
        -- The usual case, a plan kept for the session (re-planned when the search path changes).
        INSERT INTO audit_auditevent (at, practice_schema, actor_id, actor_email, actor_role,
            actor_kind, actor_name, action, object_type, object_id, object_label, changed_fields,
            ip_address, user_agent, request_id)
        VALUES (now(),
            TG_TABLE_SCHEMA,
            (actor ->> 'id')::bigint,
            left(coalesce(actor ->> 'e', ''), 254),
            left(coalesce(actor ->> 'r', ''), 16),
            left(coalesce(actor ->> 'k', 'system'), 16),
            left(coalesce(actor ->> 'n', ''), 200),
            action,
            TG_ARGV[0],
            left(coalesce(object_id, ''), 64),
            label,
            changed,
            (actor ->> 'ip')::inet,
            left(coalesce(actor ->> 'ua', ''), 300),
            left(coalesce(actor ->> 'rq', ''), 64));
    ELSE
        -- A table named with its schema from another search path: the event still goes to its own.
        EXECUTE format(
            'INSERT INTO %I.audit_auditevent (at, practice_schema, actor_id, actor_email, actor_role, '
            'actor_kind, actor_name, action, object_type, object_id, object_label, changed_fields, '
            'ip_address, user_agent, request_id) '
            'VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)',
            TG_TABLE_SCHEMA
        ) USING
            TG_TABLE_SCHEMA,
            (actor ->> 'id')::bigint,
            left(coalesce(actor ->> 'e', ''), 254),
            left(coalesce(actor ->> 'r', ''), 16),
            left(coalesce(actor ->> 'k', 'system'), 16),
            left(coalesce(actor ->> 'n', ''), 200),
            action,
            TG_ARGV[0],
            left(coalesce(object_id, ''), 64),
            label,
            changed,
            (actor ->> 'ip')::inet,
            left(coalesce(actor ->> 'ua', ''), 300),
            left(coalesce(actor ->> 'rq', ''), 64);
    END IF;
    RETURN NULL;
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS audit_row_change() CASCADE;
DROP FUNCTION IF EXISTS audit_statement_actor() CASCADE;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_actor_kind_and_database_time")]
    operations = [migrations.RunSQL(FUNCTION, DROP)]
