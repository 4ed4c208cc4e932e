-- 0012_email_nfc: one spelling per email (issue 11).
--
-- "é" can be one code point (NFC) or "e" + a combining accent (NFD); both
-- used to register as two accounts.  Emails are stored in NFC whoever
-- writes them (the API, create-admin, another route, psql), so the unique
-- index on lower(email) sees one spelling; logins normalize what they are
-- given the same way (sql/queries/users.sql).  Rows already stored in
-- another form are normalized here, except one whose NFC spelling another
-- account already has: that pair is for an operator to resolve.

CREATE FUNCTION users_email_nfc() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.email := normalize(NEW.email, NFC);
	RETURN NEW;
END
$$;

CREATE TRIGGER users_email_nfc BEFORE INSERT OR UPDATE OF email ON users
	FOR EACH ROW EXECUTE FUNCTION users_email_nfc();

UPDATE users u SET email = normalize(u.email, NFC)
WHERE u.email IS NOT NFC NORMALIZED
  AND NOT EXISTS (SELECT FROM users o
	WHERE o.id <> u.id AND lower(o.email) = lower(normalize(u.email, NFC)));
