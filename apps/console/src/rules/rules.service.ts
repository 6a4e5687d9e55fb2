import { Inject, Injectable } from '@nestjs/common';
import type { FleetMqConfig } from '#config';
import { storedRuleSpec, validateRuleDefinition, type RuleKind, type StoredRuleSpec } from '#domain';
import { GroupRepository, ParentTopicRepository, RuleRepository, type RuleRow, type RuleTotals } from '#domain/persistence';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { decodeCursor, encodeCursor, type ListPage } from '../common/pagination.js';
import { CONSOLE_CONFIG } from '../console.tokens.js';
import { InstancesService } from '../instances/instances.service.js';
import { ControlPublisher } from '../messaging/control.publisher.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RuleInput {
  name: string;
  kind: RuleKind;
  source: Record<string, unknown>;
  target: Record<string, unknown>;
  enabled?: boolean;
}

export type RuleChanges = Partial<Omit<RuleInput, 'kind'>>;

/** CRUD of routing rules; the rule-router does the routing and reloads on `rules-changed`. */
@Injectable()
export class RulesService {
  constructor(
    private readonly instances: InstancesService,
    private readonly rules: RuleRepository,
    private readonly topics: ParentTopicRepository,
    private readonly groups: GroupRepository,
    private readonly control: ControlPublisher,
    @Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig,
  ) {}

  async create(instanceId: string, input: RuleInput): Promise<RuleRow> {
    const spec = await this.check(instanceId, input.kind, input.source, input.target);
    // A duplicate name hits the (instance_id, name) unique key and is answered 409 at the edge.
    const rule = await this.rules.create({ instanceId, kind: input.kind, name: input.name, ...spec, enabled: input.enabled ?? true });
    await this.control.afterChange({ type: 'rules-changed', instanceId, ruleId: rule.id });
    return rule;
  }

  async list(instanceId: string, limit: number, cursor?: string): Promise<ListPage<RuleRow>> {
    await this.instances.get(instanceId);
    const page = await this.rules.list(instanceId, limit, decodeCursor(cursor));
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  async get(instanceId: string, ruleId: string): Promise<RuleRow> {
    await this.instances.get(instanceId);
    const rule = UUID.test(ruleId) ? await this.rules.find(instanceId, ruleId) : null;
    if (!rule) throw new NotFoundError('rule', ruleId);
    return rule;
  }

  async update(instanceId: string, ruleId: string, changes: RuleChanges): Promise<RuleRow> {
    const current = await this.get(instanceId, ruleId);
    let spec: StoredRuleSpec | undefined;
    if (changes.source !== undefined || changes.target !== undefined) {
      spec = await this.check(instanceId, current.kind, changes.source ?? current.source, changes.target ?? current.target);
    }
    const updated = await this.rules.update(instanceId, ruleId, { name: changes.name, enabled: changes.enabled, ...spec });
    if (!updated) throw new NotFoundError('rule', ruleId);
    await this.control.afterChange({ type: 'rules-changed', instanceId, ruleId });
    return updated;
  }

  async delete(instanceId: string, ruleId: string): Promise<void> {
    await this.get(instanceId, ruleId);
    if (!(await this.rules.delete(instanceId, ruleId))) throw new NotFoundError('rule', ruleId);
    await this.control.afterChange({ type: 'rules-changed', instanceId, ruleId });
  }

  async stats(instanceId: string, ruleId: string): Promise<RuleTotals> {
    await this.get(instanceId, ruleId);
    return this.rules.totals(ruleId);
  }

  /** Validates with the domain rules (the same the router re-reads rows with), then checks the group exists. */
  private async check(instanceId: string, kind: RuleKind, source: Record<string, unknown>, target: Record<string, unknown>): Promise<StoredRuleSpec> {
    const instance = await this.instances.get(instanceId);
    const parentTopics = instance.anonymous ? null : new Set(await this.topics.names(instanceId));
    const result = validateRuleDefinition(kind, source, target, { parentTopics, maxTopicLength: this.config.limits.maxTopicLength });
    if (!result.ok) throw new InvalidInputError(result.errors);
    const rule = result.value;
    if (rule.kind === 'status' && rule.source.groupId !== undefined && !(await this.groups.find(instanceId, rule.source.groupId))) {
      throw InvalidInputError.field('source.groupId', `group '${rule.source.groupId}' does not exist in the instance`);
    }
    return storedRuleSpec(rule);
  }
}
