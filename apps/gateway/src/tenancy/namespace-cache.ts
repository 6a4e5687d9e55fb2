import { Namespace } from './namespace.js';

/** Instances whose Namespace is kept; past it the cache starts over (a Namespace is only a prefix string). */
const MAX_CACHED_NAMESPACES = 10_000;

/** One Namespace object per instance, shared by all its connections. */
export class NamespaceCache {
  private readonly byInstance = new Map<string, Namespace>();

  get(instanceId: string): Namespace {
    let ns = this.byInstance.get(instanceId);
    if (ns === undefined) {
      ns = new Namespace(instanceId);
      if (this.byInstance.size > MAX_CACHED_NAMESPACES) this.byInstance.clear();
      this.byInstance.set(instanceId, ns);
    }
    return ns;
  }
}
