-- Server mode: sign-in accounts. Each account owns exactly one Emily user (its own database
-- and role); deleting the user removes the account and its sessions with it.
CREATE TABLE accounts (
  user_id       text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,39}$'),
  -- scrypt$N$r$p$salt$hash (base64url): never the password itself.
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each session token is kept: a copy of this table signs nobody in.
CREATE TABLE sessions (
  token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  user_id     text NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);
