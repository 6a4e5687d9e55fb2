import type { Permission, RuleKind, TokenAction } from '../index.js';

// What the repository ports return: plain rows, no TypeORM. The entities (entities/) implement
// these, so a column added to one and not the other fails to compile.

export interface InstanceRow {
  id: string;
  name: string;
  description: string;
  anonymous: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ParentTopicRow {
  instanceId: string;
  name: string;
  description: string;
  createdAt: Date;
}

export interface GroupRow {
  instanceId: string;
  groupId: string;
  description: string;
  createdAt: Date;
}

export interface AccessKeyRow {
  accessKeyId: string;
  instanceId: string;
  secretEncrypted: string;
  permission: Permission;
  enabled: boolean;
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TokenRow {
  tokenHash: string;
  instanceId: string;
  accessKeyId: string;
  resources: string[];
  actions: TokenAction;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface DeviceCredentialRow {
  instanceId: string;
  clientId: string;
  deviceAccessKeyId: string;
  secretEncrypted: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RuleRow {
  id: string;
  instanceId: string;
  kind: RuleKind;
  name: string;
  source: Record<string, unknown>;
  target: Record<string, unknown>;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClientSessionRow {
  instanceId: string;
  clientId: string;
  nodeId: string;
  remoteAddress: string;
  connectedSince: Date;
  disconnectedAt: Date | null;
  subscriptions: Array<{ topic: string; qos: number }>;
  online: boolean;
  epoch: number;
  updatedAt: Date;
}

export interface GatewayNodeRow {
  nodeId: string;
  startedAt: Date;
  heartbeatAt: Date;
  mqttPort: number;
  connections: number;
}
