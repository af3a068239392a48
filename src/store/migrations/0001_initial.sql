-- Workflows: one row per workflow. The submitted object (metadata and spec)
-- is written once; the status summary (everything but nodes) is small and
-- rewritten as the workflow moves. Nodes live in their own rows.
CREATE TABLE workflows (
  uid          TEXT PRIMARY KEY,
  namespace    TEXT NOT NULL,
  name         TEXT NOT NULL,
  phase        TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,   -- microseconds since the epoch
  started_at   INTEGER NOT NULL DEFAULT 0,
  finished_at  INTEGER NOT NULL DEFAULT 0,
  labels       TEXT NOT NULL DEFAULT '{}',
  manifest     TEXT NOT NULL,      -- {"metadata":…, "spec":…} as submitted
  status       TEXT NOT NULL DEFAULT '{}',  -- status without nodes
  run_options  TEXT NOT NULL DEFAULT '{}',  -- how the controller runs it (parameters, entrypoint…)
  version      INTEGER NOT NULL DEFAULT 0,  -- bumped by every write; stale writers are refused
  UNIQUE (namespace, name)
);
CREATE INDEX workflows_by_created ON workflows (namespace, created_at DESC, name);
CREATE INDEX workflows_unfinished ON workflows (finished_at) WHERE finished_at = 0;

CREATE TABLE nodes (
  workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
  node_id      TEXT NOT NULL,
  body         TEXT NOT NULL,      -- the node as it appears in status.nodes
  PRIMARY KEY (workflow_uid, node_id)
) WITHOUT ROWID;

-- What happened to a workflow, in order: the controller's journal, replayed
-- after a restart.
CREATE TABLE events (
  workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  body         TEXT NOT NULL,
  PRIMARY KEY (workflow_uid, seq)
) WITHOUT ROWID;

-- Where each step's log is kept.
CREATE TABLE logs (
  workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
  node_id      TEXT NOT NULL,
  pod_name     TEXT NOT NULL,
  path         TEXT NOT NULL,
  PRIMARY KEY (workflow_uid, node_id)
) WITHOUT ROWID;

CREATE TABLE workflow_templates (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  uid        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  body       TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);

CREATE TABLE cluster_workflow_templates (
  namespace  TEXT NOT NULL DEFAULT '',
  name       TEXT NOT NULL,
  uid        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  body       TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);

CREATE TABLE cron_workflows (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  uid        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  body       TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);

-- Completed workflows kept after they leave the live table (Argo's archive).
CREATE TABLE archived_workflows (
  uid          TEXT PRIMARY KEY,
  namespace    TEXT NOT NULL,
  name         TEXT NOT NULL,
  phase        TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL,
  labels       TEXT NOT NULL DEFAULT '{}',
  body         TEXT NOT NULL       -- the whole Workflow object
);
CREATE INDEX archived_by_started ON archived_workflows (namespace, started_at DESC);
