import { BadRequestException, NotFoundException } from '@nestjs/common';
import { pino } from 'pino';
import { DuplicateError, InvalidInputError, NotFoundError, UnavailableError } from './errors.js';
import { ProblemFilter } from './problem.filter.js';

describe('ProblemFilter', () => {
  const filter = new ProblemFilter(pino({ level: 'silent' }));

  describe('toProblem', () => {
    it.each([
      ['NotFoundError', new NotFoundError('instance', 'fmq-x'), 404],
      ['DuplicateError', new DuplicateError('group', 'GID_a'), 409],
      ['UnavailableError', new UnavailableError('kafka'), 503],
      ['Nest NotFoundException', new NotFoundException('no route'), 404],
      ['Nest BadRequestException', new BadRequestException('bad'), 400],
      ['PostgreSQL unique violation', Object.assign(new Error('duplicate key'), { driverError: { code: '23505' } }), 409],
      ['PostgreSQL foreign key violation', Object.assign(new Error('fk'), { code: '23503' }), 409],
      ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 503],
      ['pool ended', new Error('Cannot use a pool after calling end on the pool'), 503],
      ['admin shutdown', Object.assign(new Error('terminating'), { code: '57P01' }), 503],
      ['PostgreSQL NUL byte in text (22021)', Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { driverError: { code: '22021' } }), 400],
      ['PostgreSQL value too long (22001)', Object.assign(new Error('value too long'), { code: '22001' }), 400],
      ['anything else', new Error('boom'), 500],
    ])('%s', (_name, error, status) => {
      const p = filter.toProblem(error);
      expect(p.status).toBe(status);
      expect(p.title.length).toBeGreaterThan(0);
      expect(typeof p.detail).toBe('string');
    });

    it('lists the fields of an InvalidInputError', () => {
      const p = filter.toProblem(new InvalidInputError([{ field: 'a', reason: 'r' }]));
      expect(p).toMatchObject({ status: 400, errors: [{ field: 'a', reason: 'r' }] });
    });

    it('does not leak the message of an unexpected error', () => {
      expect(filter.toProblem(new Error('password=secret')).detail).not.toContain('secret');
    });
  });
});
