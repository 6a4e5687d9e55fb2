import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: tenancy, credentials, rules, and the cross-process session/node state. */
export class InitialSchema1764072000000 implements MigrationInterface {
  name = 'InitialSchema1764072000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE instances (
        id varchar(32) PRIMARY KEY,
        name varchar(128) NOT NULL UNIQUE,
        description varchar(512) NOT NULL DEFAULT '',
        anonymous boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE parent_topics (
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        name varchar(64) NOT NULL,
        description varchar(512) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, name)
      )`);
    await q.query(`
      CREATE TABLE groups (
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        group_id varchar(64) NOT NULL,
        description varchar(512) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, group_id)
      )`);
    await q.query(`
      CREATE TABLE access_keys (
        access_key_id varchar(64) PRIMARY KEY,
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        secret_encrypted text NOT NULL,
        permission varchar(8) NOT NULL CHECK (permission IN ('PUB', 'SUB', 'ALL')),
        enabled boolean NOT NULL DEFAULT true,
        description varchar(512) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX access_keys_instance ON access_keys (instance_id, created_at)`);
    await q.query(`
      CREATE TABLE tokens (
        token_hash char(64) PRIMARY KEY,
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        access_key_id varchar(64) NOT NULL REFERENCES access_keys(access_key_id) ON DELETE CASCADE,
        resources text[] NOT NULL,
        actions varchar(2) NOT NULL CHECK (actions IN ('R', 'W', 'RW')),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tokens_instance_expiry ON tokens (instance_id, expires_at)`);
    await q.query(`
      CREATE TABLE device_credentials (
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        client_id varchar(64) NOT NULL,
        device_access_key_id varchar(64) NOT NULL UNIQUE,
        secret_encrypted text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, client_id)
      )`);
    await q.query(`
      CREATE TABLE rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL CHECK (kind IN ('outflow', 'inflow', 'status')),
        name varchar(128) NOT NULL,
        source jsonb NOT NULL,
        target jsonb NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (instance_id, name)
      )`);
    await q.query(`
      CREATE TABLE rule_counters (
        rule_id uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
        router_id varchar(128) NOT NULL,
        matched bigint NOT NULL DEFAULT 0,
        routed bigint NOT NULL DEFAULT 0,
        failed bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (rule_id, router_id)
      )`);
    await q.query(`
      CREATE TABLE client_sessions (
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        client_id varchar(128) NOT NULL,
        node_id varchar(128) NOT NULL,
        remote_address varchar(128) NOT NULL DEFAULT '',
        connected_since timestamptz NOT NULL,
        disconnected_at timestamptz,
        subscriptions jsonb NOT NULL DEFAULT '[]',
        online boolean NOT NULL,
        epoch bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, client_id)
      )`);
    await q.query(`CREATE INDEX client_sessions_node ON client_sessions (node_id, online)`);
    await q.query(`
      CREATE TABLE gateway_nodes (
        node_id varchar(128) PRIMARY KEY,
        started_at timestamptz NOT NULL,
        heartbeat_at timestamptz NOT NULL,
        mqtt_port int NOT NULL,
        connections int NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE instance_traffic (
        instance_id varchar(32) NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        node_id varchar(128) NOT NULL,
        messages_in bigint NOT NULL DEFAULT 0,
        messages_out bigint NOT NULL DEFAULT 0,
        rate_in double precision NOT NULL DEFAULT 0,
        rate_out double precision NOT NULL DEFAULT 0,
        connections int NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, node_id)
      )`);
    // The anonymous development instance is a real row so that its sessions and traffic have a parent.
    await q.query(
      `INSERT INTO instances (id, name, description, anonymous) VALUES ('default', 'default', 'anonymous clients (development)', true)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'instance_traffic', 'gateway_nodes', 'client_sessions', 'rule_counters', 'rules',
      'device_credentials', 'tokens', 'access_keys', 'groups', 'parent_topics', 'instances',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
