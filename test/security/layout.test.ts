/**
 * Issue 18, the store seam: no SQL outside src/store. No file elsewhere imports a database driver
 * (better-sqlite3, pg) or holds an SQL statement in a string; src/audit (the log's rules) reaches a
 * store only through the port's types and the store's factory, with no import cycle between them.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '../../src');
const DRIVERS = new Set(['better-sqlite3', 'pg']);
/** An SQL statement (keywords in capitals, as every statement in src/store is written; prose is not). */
const SQL = new RegExp(
  [
    String.raw`SELECT\b[\s\S]*\bFROM`,
    String.raw`INSERT\s+(OR\s+\w+\s+)?INTO`,
    String.raw`DELETE\s+FROM`,
    String.raw`UPDATE\s+\w+\s+SET`,
    String.raw`CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|TRIGGER|VIEW)`,
    String.raw`(DROP|ALTER)\s+(TABLE|INDEX|TRIGGER|VIEW)`,
    String.raw`PRAGMA\s+\w+`,
    String.raw`BEGIN\s+(IMMEDIATE|EXCLUSIVE|TRANSACTION)`,
  ]
    .map((s) => String.raw`\b${s}\b`)
    .join('|'),
);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(file);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [file] : [];
  });
}

interface Scanned {
  /** Modules imported at run time (not `import type`), as written. */
  imports: string[];
  /** Every module named, type-only imports too. */
  named: string[];
  /** Text of the string literals and template literals. */
  strings: string[];
}

function scan(file: string): Scanned {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Scanned = { imports: [], named: [], strings: [] };
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const name = node.moduleSpecifier.text;
      found.named.push(name);
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true ||
          (node.importClause !== undefined &&
            node.importClause.name === undefined &&
            node.importClause.namedBindings !== undefined &&
            ts.isNamedImports(node.importClause.namedBindings) &&
            node.importClause.namedBindings.elements.every((e) => e.isTypeOnly))
        : node.isTypeOnly;
      if (!typeOnly) found.imports.push(name);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.named.push(node.arguments[0].text);
      found.imports.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.named.push(literal.text);
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.strings.push(node.text);
    else if (ts.isTemplateExpression(node)) {
      found.strings.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ? '));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = sourceFiles(SRC);
const scanned = new Map(files.map((f) => [f, scan(f)]));
const outside = files.filter((f) => !f.startsWith(path.join(SRC, 'store') + path.sep));
const rel = (f: string) => path.relative(SRC, f);

/** The file a relative import resolves to (index.ts for a folder), or undefined for a package. */
function resolve(from: string, name: string): string | undefined {
  if (!name.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), name);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => scanned.has(f));
}

describe('the store seam: no SQL outside src/store', () => {
  it('the scan finds what it looks for (a driver import, a statement)', () => {
    const sample = scanned.get(path.join(SRC, 'store', 'sqlite', 'audit-reader.ts'))!;
    expect(sample.named).toContain('better-sqlite3');
    expect(sample.strings.some((s) => SQL.test(s))).toBe(true);
    expect(SQL.test('the first entry is not #1')).toBe(false);
    expect(SQL.test('select the dataset from the list')).toBe(false);
  });

  it('no file outside src/store imports a database driver', () => {
    const offenders = outside.filter((f) => scanned.get(f)!.named.some((n) => DRIVERS.has(n))).map(rel);
    expect(offenders).toEqual([]);
  });

  it('no file outside src/store holds an SQL statement in a string', () => {
    const offenders = outside.flatMap((f) =>
      scanned
        .get(f)!
        .strings.filter((s) => SQL.test(s))
        .map((s) => `${rel(f)}: ${s.slice(0, 60)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('src/audit imports src/store only for the port (types) and the factory', () => {
    const allowed = new Set(
      ['store/port.ts', 'store/open.ts', 'store/log-reader.ts'].map((f) => path.join(SRC, f)),
    );
    const offenders = files
      .filter((f) => f.startsWith(path.join(SRC, 'audit') + path.sep))
      .flatMap((f) =>
        scanned
          .get(f)!
          .imports.map((n) => resolve(f, n))
          .filter((t): t is string => t !== undefined && rel(t).startsWith('store') && !allowed.has(t))
          .map((t) => `${rel(f)} -> ${rel(t)}`),
      );
    expect(offenders).toEqual([]);
  });

  it('no run-time import cycle goes through src/audit or src/store', () => {
    const cycles = importCycles(files, 'imports').filter((cycle) =>
      cycle.some((c) => /^(audit|store)\//.test(rel(c))),
    );
    expect(cycles.map(describeCycle)).toEqual([]);
  });
});

describe('import cycles', () => {
  it('the walker finds a cycle where there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cyclesOf(['d', 'a', 'b', 'c'], (f) => graph.get(f) ?? [])).toEqual([['a', 'b', 'c']]);
  });

  // The pages and the portal that mounts them: not even a type-only import goes back up.
  it('none in src/portal, type-only imports included', () => {
    const inPortal = (f: string) => rel(f).startsWith('portal' + path.sep);
    expect(importCycles(files.filter(inPortal), 'named', inPortal).map(describeCycle)).toEqual([]);
  });

  it('none among the modules src/cli.ts loads', () => {
    const cli = path.join(SRC, 'cli.ts');
    expect(scanned.has(cli)).toBe(true);
    expect(importCycles([cli], 'imports').map(describeCycle)).toEqual([]);
  });
});

describe("the portal's pages: handlers apart from views", () => {
  const pages = files.filter((f) => rel(f).startsWith(path.join('portal', 'pages') + path.sep));
  const isView = (f: string) => f.endsWith('-views.ts');
  const targets = (f: string) =>
    scanned
      .get(f)!
      .named.map((n) => resolve(f, n))
      .filter((t): t is string => t !== undefined)
      .map(rel);

  it('finds both kinds', () => {
    expect(pages.filter(isView).length).toBeGreaterThan(3);
    expect(pages.filter((f) => !isView(f)).length).toBeGreaterThan(3);
  });

  // A handler gathers the data and hands it to a view: it writes no markup itself.
  it('no handler module writes markup', () => {
    const offenders = pages
      .filter((f) => !isView(f))
      .filter((f) => targets(f).includes(path.join('portal', 'html.ts')))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  // A view draws what it is given: no handler's context, no page module that gathers data.
  it("no view reaches a handler's context or a handler module", () => {
    const offenders = pages.filter(isView).flatMap((f) =>
      targets(f)
        .filter(
          (t) =>
            t === path.join('portal', 'context.ts') ||
            (t.startsWith(path.join('portal', 'pages')) && !t.endsWith('-views.ts')),
        )
        .map((t) => `${rel(f)} -> ${t}`),
    );
    expect(offenders).toEqual([]);
  });
});

/**
 * The cycles reachable from `roots` along a file's imports of `kind` (run-time, or every one named),
 * to the files `within` only.
 */
function importCycles(
  roots: string[],
  kind: 'imports' | 'named',
  within: (file: string) => boolean = () => true,
): string[][] {
  return cyclesOf(roots, (f) =>
    scanned
      .get(f)!
      [kind].map((n) => resolve(f, n))
      .filter((t): t is string => t !== undefined && within(t)),
  );
}

/** Depth-first search for back edges: each cycle is reported by its nodes, from where it closes. */
function cyclesOf(roots: string[], edges: (node: string) => string[]): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges(node)) {
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const root of roots) if (!state.has(root)) visit(root);
  return cycles;
}

const describeCycle = (cycle: string[]) => [...cycle, cycle[0]].map(rel).join(' -> ');
