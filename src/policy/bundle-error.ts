/** A bundle that must not load: every problem names its file, the JSON path inside it and the reason. */
export interface BundleProblem {
  file: string;
  path: string;
  message: string;
}

export class BundleError extends Error {
  constructor(readonly problems: BundleProblem[]) {
    super(`Invalid policy bundle:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'BundleError';
  }
}

export function formatProblem(problem: BundleProblem): string {
  return `${problem.file}: ${problem.path}: ${problem.message}`;
}
