/**
 * Text the gateway cannot store exactly is refused where it comes in. A JavaScript string may hold a
 * lone UTF-16 surrogate (JSON's "\udfff" escape makes one); SQLite keeps text as UTF-8, which has no
 * such character, so what a store or the log keeps would differ from what was decided on and hashed.
 * Nor may it hold NUL (U+0000), which PostgreSQL's text cannot hold at all: a write would fail there
 * and not in SQLite, so the same input is refused whatever the store.
 * One walker, used by every edge: JSON bodies (express and the lookup fast lane), queries and path
 * parameters, portal forms, upload records, token claims.
 */
import { problems, type ProblemError } from './problem';

/** Where a value holds text that is not well-formed, and what is wrong there. */
export interface IllFormed {
  /** RFC 6901 JSON pointer: the string, or the object one of whose keys is the culprit. */
  pointer: string;
  detail: string;
}

export const NOT_WELL_FORMED = 'is not well-formed Unicode text (it holds a lone UTF-16 surrogate)';
const KEY_NOT_WELL_FORMED = 'has a key that is not well-formed Unicode text (a lone UTF-16 surrogate)';
export const HOLDS_NUL = 'holds a NUL character (U+0000), which no text here may hold';
const KEY_HOLDS_NUL = 'has a key holding a NUL character (U+0000)';

/** What is wrong with a string as text the gateway keeps (undefined: nothing). */
function textProblem(text: string, key: boolean): string | undefined {
  if (!text.isWellFormed()) return key ? KEY_NOT_WELL_FORMED : NOT_WELL_FORMED;
  if (text.includes('\u0000')) return key ? KEY_HOLDS_NUL : HOLDS_NUL;
  return undefined;
}

/** RFC 6901 escaping of one reference token. */
const escapeToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The first string (value or key) in `value`, in document order, that is not well-formed UTF-16;
 * undefined when there is none. Iterative, so that nesting as deep as a JSON parser allows cannot
 * exhaust the stack; pointers are built only for a culprit. An ill-formed key is named by its
 * object's pointer, so nothing ill-formed is echoed.
 */
export function findIllFormed(value: unknown): IllFormed | undefined {
  if (typeof value === 'string') {
    const detail = textProblem(value, false);
    return detail ? { pointer: '', detail } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const stack: Frame[] = [frameOf(value, undefined, -1)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next === frame.count) {
      stack.pop();
      continue;
    }
    const i = frame.next++;
    let child: unknown;
    if (frame.keys) {
      const key = frame.keys[i]!;
      const detail = textProblem(key, true);
      if (detail) return { pointer: pointerOf(frame), detail };
      child = (frame.node as Record<string, unknown>)[key];
    } else child = (frame.node as unknown[])[i];
    if (typeof child === 'string') {
      const detail = textProblem(child, false);
      if (detail) return { pointer: `${pointerOf(frame)}/${tokenOf(frame, i)}`, detail };
    } else if (child !== null && typeof child === 'object') {
      stack.push(frameOf(child, frame, i));
    }
  }
  return undefined;
}

/** An array or object being walked: its keys (none for an array), how many, the next to visit. */
interface Frame {
  node: object;
  keys: string[] | undefined;
  count: number;
  next: number;
  /** The frame holding this one, and this one's place in it (undefined: the root). */
  parent: Frame | undefined;
  at: number;
}

function frameOf(node: object, parent: Frame | undefined, at: number): Frame {
  const keys = Array.isArray(node) ? undefined : Object.keys(node);
  return { node, keys, count: keys ? keys.length : (node as unknown[]).length, next: 0, parent, at };
}

/** The reference token of the child at place `i` of `frame`. */
const tokenOf = (frame: Frame, i: number) => escapeToken(frame.keys ? frame.keys[i]! : String(i));

/** The JSON pointer of a frame's node, from its parents' places. */
function pointerOf(frame: Frame): string {
  let pointer = '';
  for (let f: Frame = frame; f.parent; f = f.parent) pointer = `/${tokenOf(f.parent, f.at)}${pointer}`;
  return pointer;
}

/** A 400 problem when `value` holds text that is not well-formed: `what` is "body", "query", "form". */
export function refuseIllFormed(value: unknown, what: 'body' | 'query' | 'path' | 'form'): void {
  const found = findIllFormed(value);
  if (found) throw illFormedProblem(found, what);
}

function illFormedProblem(found: IllFormed, what: 'body' | 'query' | 'path' | 'form'): ProblemError {
  const detail = {
    body: 'The request body is invalid.',
    query: 'The query is invalid.',
    path: 'The path is invalid.',
    form: 'The form is invalid.',
  }[what];
  return problems.badRequest(detail, { errors: [found] });
}
