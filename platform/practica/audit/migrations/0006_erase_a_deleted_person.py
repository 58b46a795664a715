from django.db import migrations

# The trail stays append-only: no event is ever deleted, and no field of one changes but this: when
# a person's account is deleted (practica.accounts.erasure), the events they made lose what
# identifies them (email, address, browser) and keep their bare actor id, a reference to no one
# once the account is gone. Only inside a transaction that named that id in
# `practica.erase_actor`, and only those three fields, blanked.
ERASABLE = """
CREATE OR REPLACE FUNCTION audit_event_is_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.actor_id IS NOT NULL
       AND current_setting('practica.erase_actor', true) = OLD.actor_id::text
       AND NEW.actor_email = '' AND NEW.ip_address IS NULL AND NEW.user_agent = ''
       AND to_jsonb(NEW) - ARRAY['actor_email', 'ip_address', 'user_agent']
           = to_jsonb(OLD) - ARRAY['actor_email', 'ip_address', 'user_agent']
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
"""

STRICT = """
CREATE OR REPLACE FUNCTION audit_event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_row_change_trigger")]
    operations = [migrations.RunSQL(ERASABLE, STRICT)]
