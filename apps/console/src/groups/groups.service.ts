import { Injectable } from '@nestjs/common';
import { isValidGroupId } from '#domain';
import { GroupRepository, type GroupRow } from '#domain/persistence';
import { DuplicateError, InvalidInputError, NotFoundError } from '../common/errors.js';
import { decodeCursor, encodeCursor, type ListPage } from '../common/pagination.js';
import { InstancesService } from '../instances/instances.service.js';

@Injectable()
export class GroupsService {
  constructor(
    private readonly instances: InstancesService,
    private readonly groups: GroupRepository,
  ) {}

  async create(instanceId: string, input: { groupId: string; description?: string }): Promise<GroupRow> {
    await this.instances.get(instanceId);
    if (!isValidGroupId(input.groupId)) throw InvalidInputError.field('groupId', 'is not a valid group ID (GID_...)');
    if (await this.groups.find(instanceId, input.groupId)) throw new DuplicateError('group', input.groupId);
    return this.groups.create({ instanceId, groupId: input.groupId, description: input.description ?? '' });
  }

  async list(instanceId: string, limit: number, cursor?: string): Promise<ListPage<GroupRow>> {
    await this.instances.get(instanceId);
    const page = await this.groups.list(instanceId, limit, decodeCursor(cursor));
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  /** The group, or NotFoundError. */
  async get(instanceId: string, groupId: string): Promise<GroupRow> {
    const group = await this.groups.find(instanceId, groupId);
    if (!group) throw new NotFoundError('group', groupId);
    return group;
  }

  async delete(instanceId: string, groupId: string): Promise<void> {
    await this.instances.get(instanceId);
    if (!(await this.groups.delete(instanceId, groupId))) throw new NotFoundError('group', groupId);
  }
}
