-- 0001_init: what every later table shares.
-- set_updated_at() keeps updated_at true on every UPDATE, whoever writes.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
