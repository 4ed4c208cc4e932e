-- 0002_users: accounts and refresh tokens (SPEC 4.3).
--
-- token_version is the `ver` claim of every access token: a token is good
-- only while it equals the row's.  A trigger bumps it whenever the role,
-- is_active or the password hash changes, whoever writes the row (the API,
-- `quetzal create-admin`, an operator in psql), and then revokes the
-- user's refresh tokens: so those changes end every outstanding token.

CREATE TABLE users (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email		text NOT NULL
			CHECK (length(email) BETWEEN 3 AND 254
			    AND strpos(email, '@') > 1),
	username	text NOT NULL
			CHECK (username ~ '^[A-Za-z0-9_-]{3,32}$'),
	full_name	text CHECK (char_length(full_name) <= 200),
	password_hash	text NOT NULL,
	role		text NOT NULL DEFAULT 'user'
			CHECK (role IN ('user', 'admin')),
	is_active	boolean NOT NULL DEFAULT true,
	token_version	integer NOT NULL DEFAULT 1 CHECK (token_version > 0),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Case-insensitively unique; a login by either uses the same expressions.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION users_bump_token_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.role IS DISTINCT FROM OLD.role
	    OR NEW.is_active IS DISTINCT FROM OLD.is_active
	    OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
		NEW.token_version := OLD.token_version + 1;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER users_bump_token_version BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION users_bump_token_version();

-- Refresh tokens: only the SHA-256 of the token is stored.  A login starts
-- a family; each refresh spends one token (used_at, replaced_by) and adds
-- its successor to the family.  Presenting a spent token again revokes the
-- whole family (RFC 9700 4.14.2).
CREATE TABLE refresh_tokens (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	family		uuid NOT NULL DEFAULT gen_random_uuid(),
	token_hash	text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz,
	replaced_by	bigint REFERENCES refresh_tokens (id) ON DELETE SET NULL,
	revoked_at	timestamptz
);

CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

CREATE FUNCTION users_revoke_refresh_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.token_version <> OLD.token_version THEN
		UPDATE refresh_tokens SET revoked_at = now()
		WHERE user_id = NEW.id AND revoked_at IS NULL;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER users_revoke_refresh_tokens AFTER UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION users_revoke_refresh_tokens();

-- The user JSON of SPEC 4.3: never the hash.  Times are RFC 3339 in UTC.
CREATE FUNCTION user_json(u users) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'id', u.id,
	    'email', u.email,
	    'username', u.username,
	    'full_name', u.full_name,
	    'role', u.role,
	    'is_active', u.is_active,
	    'created_at', to_char(u.created_at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	    'updated_at', to_char(u.updated_at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;
