import { Injectable } from '@nestjs/common';
import { DEFAULT_INSTANCE_ID, generateInstanceId } from '#domain';
import { InstanceRepository, type InstanceRow } from '#domain/persistence';
import { ConflictError, DuplicateError, NotFoundError } from '../common/errors.js';
import { decodeCursor, encodeCursor, type ListPage } from '../common/pagination.js';
import { ControlPublisher } from '../messaging/control.publisher.js';

const ID_ATTEMPTS = 5;

@Injectable()
export class InstancesService {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly control: ControlPublisher,
  ) {}

  async create(input: { name: string; description?: string }): Promise<InstanceRow> {
    if (await this.instances.findByName(input.name)) throw new DuplicateError('instance', input.name);
    // 36^6 IDs: a collision is rare, but the key would turn it into a confusing 409.
    let id = generateInstanceId();
    for (let i = 1; i < ID_ATTEMPTS && (await this.instances.findById(id)); i++) id = generateInstanceId();
    return this.instances.create({ id, name: input.name, description: input.description ?? '' });
  }

  async list(limit: number, cursor?: string): Promise<ListPage<InstanceRow>> {
    const page = await this.instances.list(limit, decodeCursor(cursor));
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  /** The instance, or NotFoundError: every route under /instances/:instanceId starts here. */
  async get(id: string): Promise<InstanceRow> {
    const instance = await this.instances.findById(id);
    if (!instance) throw new NotFoundError('instance', id);
    return instance;
  }

  async update(id: string, patch: { name?: string; description?: string }): Promise<InstanceRow> {
    await this.get(id);
    if (patch.name !== undefined) {
      const other = await this.instances.findByName(patch.name);
      if (other && other.id !== id) throw new DuplicateError('instance', patch.name);
    }
    const updated = await this.instances.update(id, patch);
    if (!updated) throw new NotFoundError('instance', id);
    return updated;
  }

  async delete(id: string): Promise<void> {
    if (id === DEFAULT_INSTANCE_ID) throw new ConflictError('default-instance', 'the default instance cannot be deleted');
    if (!(await this.instances.delete(id))) throw new NotFoundError('instance', id);
    // Every gateway closes the instance's connections and forgets its cached credentials.
    await this.control.afterChange({ type: 'instance-deleted', instanceId: id });
  }
}
