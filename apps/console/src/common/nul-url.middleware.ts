import { problem, sendProblem, type ProblemResponse } from './problem.js';

const ENCODED_NUL = '%00';

/**
 * No ID, name or query value of the API may hold a NUL byte, and PostgreSQL cannot store one
 * in text: refusing it here answers 400 before any lookup (which would fail with 500).
 */
export function refuseNulInUrl(req: { url?: string }, res: ProblemResponse, next: () => void): void {
  if (req.url?.includes(ENCODED_NUL)) {
    return sendProblem(res, problem(400, 'Bad Request', 'the request URL contains a NUL byte (%00)', { code: 'nul-byte' }));
  }
  next();
}
