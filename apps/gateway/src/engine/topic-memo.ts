/** Topics whose answers are kept at most; past that the memo starts over. */
const MAX_TOPICS = 10_000;

/**
 * Answers of a lookup by topic, kept until what they were read from changes (`clear`). The
 * in-memory store's two per-PUBLISH lookups use it (memory-persistence.ts, memory-emitter.ts):
 * the same few topics are asked again and again, the sets they match change rarely.
 */
export class TopicMemo<T> {
  private readonly answers = new Map<string, T>();

  constructor(
    private readonly lookup: (topic: string) => T,
    private readonly maxTopics = MAX_TOPICS,
  ) {}

  get(topic: string): T {
    let answer = this.answers.get(topic);
    if (answer === undefined) {
      answer = this.lookup(topic);
      if (this.answers.size >= this.maxTopics) this.answers.clear();
      this.answers.set(topic, answer);
    }
    return answer;
  }

  /** Forgets the answer of `topic` if it is still `answer` (a failed lookup is not kept). */
  forget(topic: string, answer: T): void {
    if (this.answers.get(topic) === answer) this.answers.delete(topic);
  }

  clear(): void {
    this.answers.clear();
  }
}
