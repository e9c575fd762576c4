-- Event data and bonus shares were written as JSON strings spelling an object (the driver serialised them
-- a second time). Store them as the objects they spell (the content is unchanged, so the append-only
-- triggers are lifted for this one repair), and refuse anything but an object from now on.
ALTER TABLE events DISABLE TRIGGER events_append_only;
UPDATE events SET data = (data #>> '{}')::jsonb WHERE jsonb_typeof(data) = 'string';
ALTER TABLE events ENABLE TRIGGER events_append_only;
ALTER TABLE events ADD CONSTRAINT events_data_object CHECK (jsonb_typeof(data) = 'object');

ALTER TABLE agreement_terms DISABLE TRIGGER agreement_terms_append_only;
UPDATE agreement_terms SET bonus_bp = (bonus_bp #>> '{}')::jsonb WHERE jsonb_typeof(bonus_bp) = 'string';
ALTER TABLE agreement_terms ENABLE TRIGGER agreement_terms_append_only;
ALTER TABLE agreement_terms ADD CONSTRAINT agreement_terms_bonus_object CHECK (jsonb_typeof(bonus_bp) = 'object');
