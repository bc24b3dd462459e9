-- The catalog: which users exist and where their databases live.
-- The database name is the routing key (seed): server + db_name locate a user's Emily.
CREATE TABLE servers (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
  kind        text NOT NULL CHECK (kind IN ('embedded', 'external')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO servers (name, kind) VALUES ('local', 'embedded');

CREATE TABLE users (
  id              text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9]{11}$'),
  display_name    text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  db_name         text NOT NULL UNIQUE CHECK (db_name = 'emily_u_' || id),
  role_name       text NOT NULL UNIQUE CHECK (role_name = 'emily_r_' || id),
  server          text NOT NULL DEFAULT 'local' REFERENCES servers (name),
  -- provisioning / deleting rows are debris of an interrupted operation; doctor cleans them.
  status          text NOT NULL DEFAULT 'provisioning' CHECK (status IN ('provisioning', 'ready', 'deleting', 'moving')),
  schema_version  integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- A row in provisioning/deleting for long is debris; a young one is work in progress.
  status_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_server_idx ON users (server);
