-- Activity imported from elsewhere (`yaji import activity`): each line's key
-- is unique, so importing the same file twice changes nothing.
ALTER TABLE activity_events ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX activity_import ON activity_events(import_key);
