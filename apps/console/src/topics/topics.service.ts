import { Injectable } from '@nestjs/common';
import { isValidParentTopicName } from '#domain';
import { ParentTopicRepository, type ParentTopicRow } from '#domain/persistence';
import { DuplicateError, InvalidInputError, NotFoundError } from '../common/errors.js';
import { decodeCursor, encodeCursor, type ListPage } from '../common/pagination.js';
import { InstancesService } from '../instances/instances.service.js';

@Injectable()
export class TopicsService {
  constructor(
    private readonly instances: InstancesService,
    private readonly topics: ParentTopicRepository,
  ) {}

  async create(instanceId: string, input: { name: string; description?: string }): Promise<ParentTopicRow> {
    await this.instances.get(instanceId);
    if (!isValidParentTopicName(input.name)) throw InvalidInputError.field('name', 'is not a valid parent topic name');
    if (await this.topics.find(instanceId, input.name)) throw new DuplicateError('parent topic', input.name);
    return this.topics.create({ instanceId, name: input.name, description: input.description ?? '' });
  }

  async list(instanceId: string, limit: number, cursor?: string): Promise<ListPage<ParentTopicRow>> {
    await this.instances.get(instanceId);
    const page = await this.topics.list(instanceId, limit, decodeCursor(cursor));
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  async delete(instanceId: string, name: string): Promise<void> {
    await this.instances.get(instanceId);
    if (!(await this.topics.delete(instanceId, name))) throw new NotFoundError('parent topic', name);
  }
}
