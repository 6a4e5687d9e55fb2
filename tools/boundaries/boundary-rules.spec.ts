import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFile } from './boundary-rules.js';
import { checkBoundaries, formatViolation } from './check-boundaries.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('checkFile', () => {
  const cases: Array<[string, string, string, string | null]> = [
    // [importing file, import line, why, expected rule or null]
    ['apps/console/src/x.ts', "import { a } from '../../../libs/domain/src/topic.js';", 'app deep into a lib', 'lib-through-index'],
    ['apps/console/src/x.ts', "import { a } from '#domain';", 'app through the public index', null],
    ['apps/console/src/x.ts', "import { a } from '../../gateway/src/index.js';", 'app into another app', 'app-to-app'],
    ['apps/fleetmq/src/main.ts', "import { a } from '../../gateway/src/index.js';", 'all-in-one through the public module', null],
    ['apps/fleetmq/src/main.ts', "import { a } from '../../gateway/src/bridge/kafka-bridge.js';", 'all-in-one past the public module', 'app-to-app'],
    ['libs/auth/src/x.ts', "export { a } from '../../../apps/console/src/index.js';", 'lib re-exports an app', 'lib-to-app'],
    ['libs/auth/src/x.ts', "const m = await import('../../domain/src/index.js');", 'lib deep into another lib (dynamic)', 'lib-through-index'],
    ['libs/domain/src/persistence/repositories/r.ts', "import type { A } from '../../index.js';", 'inside one lib', null],
    ['apps/console/src/x.ts', "import type { DataSource } from 'typeorm';", 'typeorm type in an app', 'typeorm-in-persistence'],
    ['libs/domain/src/rules/x.ts', "import { Entity } from 'typeorm';", 'typeorm in domain outside persistence', 'typeorm-in-persistence'],
    ['apps/console/src/x.ts', "import { TypeOrmModule } from '@nestjs/typeorm';", 'nest typeorm in an app', 'typeorm-in-persistence'],
    ['libs/domain/src/persistence/x.ts', "import { Entity } from 'typeorm';", 'typeorm in persistence', null],
    ['apps/rule-router/src/x.ts', "import type { Admin } from 'kafkajs';", 'kafkajs type in an app', 'kafkajs-in-messaging'],
    ['apps/gateway/src/x.ts', "const k = require('kafkajs/src/protocol');", 'kafkajs deep require in an app', 'kafkajs-in-messaging'],
    ['libs/messaging/src/kafka/x.ts', "import { Kafka } from 'kafkajs';", 'kafkajs in messaging', null],
    ['apps/gateway/src/x.ts', "import Redis from 'ioredis';", 'ioredis outside its adapters', 'ioredis-in-adapters'],
    ['libs/messaging/src/redis/x.ts', "import { Redis } from 'ioredis';", 'ioredis in the presence directory adapter', null],
    ['libs/messaging/src/redis/x.ts', "const e = require('mqemitter-redis');", 'the emitter outside the session store adapter', 'redis-in-session-store'],
    ['libs/config/src/x.ts', "const e = require('mqemitter-redis');", 'mqemitter-redis in a lib', 'redis-in-session-store'],
    ['apps/gateway/src/engine/redis-session-store.ts', "const p = require('aedes-persistence-redis');", 'the session store adapter', null],
    ['apps/console/src/x.ts', "import { InstanceRepository, type InstanceEntity } from '#domain/persistence';", 'entity class in an app', 'entity-in-persistence'],
    ['apps/console/src/x.ts', "import { InstanceRepository, type InstanceRow } from '#domain/persistence';", 'row type in an app', null],
  ];

  it.each(cases)('%s: %s (%s)', (file, line, _why, rule) => {
    const violations = checkFile(file, `${line}\nexport const x = 1;\n`);
    expect(violations.map((v) => v.rule)).toEqual(rule === null ? [] : [rule]);
  });

  it('ignores imports in comments and strings', () => {
    expect(checkFile('apps/console/src/x.ts', "// import { A } from 'kafkajs';\nconst s = \"from 'typeorm'\";\n")).toEqual([]);
  });
});

describe('checkBoundaries', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleetmq-boundaries-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('reports a bad import in a file on disk, and nothing once it is fixed', () => {
    write('libs/domain/src/index.ts', 'export const a = 1;\n');
    write('apps/console/src/bad.ts', "import { a } from '../../../libs/domain/src/index.js';\nexport const b = a;\n");
    const violations = checkBoundaries(root);
    expect(violations.map(formatViolation)).toEqual([
      "apps/console/src/bad.ts: '../../../libs/domain/src/index.js' [lib-through-index] imports libs/domain/src/index.js; use the public index (#domain) instead",
    ]);
    write('apps/console/src/bad.ts', "import { a } from '#domain';\nexport const b = a;\n");
    expect(checkBoundaries(root)).toEqual([]);
  });

  it('holds for this repository', () => {
    expect(checkBoundaries(repoRoot).map(formatViolation)).toEqual([]);
  });
});
