/**
 * Generates an N-row boatreg-nl CSV (valid, unique hull numbers, registrations and engine serials;
 * deterministic for a seed) for the adapter mapping benchmark in docs/performance.md.
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/fsg-build
 *   node /tmp/fsg-build/bench/generate-boatreg.js --rows 1000000 --out /tmp/boatreg-1m.csv [--seed 42] [--dirty 0.01]
 *
 * --dirty F makes a fraction F of the rows invalid in known ways (bad HIN month, missing status,
 * non-numeric build year, a repeated hull number), to measure the quarantine path too.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import { csvColumns } from '../adapters/boatreg-nl/mapping';

export interface GenerateOptions {
  rows: number;
  out: string;
  seed?: number;
  /** Fraction of rows made invalid (0 = none). */
  dirty?: number;
  /** Most engines a vessel has (engine columns in the header). */
  maxEngines?: number;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERIAL_ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'; // no I, O, Q
const COUNTRIES = ['NL', 'NL', 'NL', 'DE', 'BE', 'FR', 'GB', ''];
const BUILDERS = ['BEN', 'JEA', 'BAV', 'HXA', 'SEA', 'LIN', 'QUI', 'DEH'];
const MAKES = ['Beneteau', 'Jeanneau', 'Bavaria', 'Bayliner', 'Sea Ray', 'Linssen', 'Quicksilver', 'Dehler'];
const MODELS = ['Flyer 7', 'Cap Camarat', 'Cruiser 34', 'VR5', 'SPX 190', 'Grand Sturdy', 'Activ 505', '30c'];
const COLOURS = ['white', 'blue', 'grey', 'red', 'black', 'green'];
const STATUSES = ['geregistreerd', 'registered', 'gestolen', 'vermist', 'teruggevonden', 'actief'];
const ENGINE_MAKES = ['Mercury', 'Yamaha', 'Suzuki', 'Volvo Penta', 'Honda', 'Tohatsu'];
const FIRST = ['Jan', 'Anna', 'Piet', 'Marieke', 'Karel', 'Sanne', 'Tom', 'Eva', 'Bram', 'Fleur'];
const LAST = ['Jansen', 'de Vries', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'Bos', 'Vos'];
const NAMES = ['Zeemeeuw', 'Waterhoen', 'Snelle Jelle', 'Blauwe Reiger', 'Stormvogel', 'Aurora', 'Fortuna'];

/** Five serial characters from an integer: unique for n < 33^5 (≈ 39 million). */
function serial5(n: number): string {
  let out = '';
  for (let i = 0; i < 5; i++) {
    out = SERIAL_ALPHABET[n % 33] + out;
    n = Math.floor(n / 33);
  }
  return out;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export async function generateBoatreg(options: GenerateOptions): Promise<{ rows: number; bytes: number }> {
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maxEngines = options.maxEngines ?? 3;
  const dirty = options.dirty ?? 0;
  const columns = csvColumns(maxEngines);
  const out = fs.createWriteStream(options.out);
  let bytes = 0;
  let chunk = `${columns.join(',')}\n`;
  let lastHin = '';

  for (let i = 0; i < options.rows; i++) {
    const year = 1970 + Math.floor(random() * 55);
    const hulls: string[] = [];
    const hullCount = 1 + Math.floor(random() * random() * 4); // mostly 1, up to 4
    for (let k = 0; k < hullCount; k++) {
      const country = pick(COUNTRIES);
      const month = 'ABCDEFGHIJKL'[Math.floor(random() * 12)];
      const modelYear = random() < 0.7 ? year : year + 1;
      const core = `${pick(BUILDERS)}${serial5(i * 4 + k)}${month}${year % 10}${String(modelYear % 100).padStart(2, '0')}`;
      hulls.push(country ? `${country}-${core}` : core);
    }
    const engines = Math.floor(random() * (maxEngines + 1));
    const cells: Record<string, string> = {
      registration_no: random() < 0.05 ? '' : `NL-${String(i).padStart(7, '0')}-${'ABCDEFGHJK'[i % 10]}`,
      vessel_name: pick(NAMES),
      hull_numbers: hulls.join(';'),
      make: pick(MAKES),
      model: pick(MODELS),
      colour: pick(COLOURS),
      build_year: String(year),
      status: pick(STATUSES),
      owner_name: `${pick(FIRST)} ${pick(LAST)}`,
      owner_postcode: `${1000 + Math.floor(random() * 9000)} ${'ABCDEFGHJK'[Math.floor(random() * 10)]}${'LMNPRSTVWX'[Math.floor(random() * 10)]}`,
      owner_since: `${year + Math.floor(random() * 5)}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
    };
    for (let e = 1; e <= maxEngines; e++) {
      const present = e <= engines;
      cells[`engine${e}_make`] = present ? pick(ENGINE_MAKES) : '';
      cells[`engine${e}_serial`] = present ? `${serial5(i)}-${e}${Math.floor(random() * 1000)}` : '';
      cells[`engine${e}_power_kw`] = present ? String(5 + Math.floor(random() * 300)) : '';
    }
    if (dirty > 0 && random() < dirty) {
      const kind = Math.floor(random() * 4);
      if (kind === 0) cells.hull_numbers = hulls[0]!.replace(/[A-L](\d{3})$/, 'M$1');
      else if (kind === 1) cells.status = '';
      else if (kind === 2) cells.build_year = 'onbekend';
      else if (lastHin) cells.hull_numbers = lastHin;
    }
    lastHin = hulls[0]!;
    chunk += `${columns.map((c) => csvCell(cells[c] ?? '')).join(',')}\n`;
    if (chunk.length >= 256 * 1024) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return { rows: options.rows, bytes };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
}

async function cli(argv: string[]): Promise<void> {
  const rows = Number(arg(argv, 'rows') ?? '1000000');
  const out = arg(argv, 'out');
  if (!out || !Number.isInteger(rows) || rows < 0) {
    process.stderr.write(
      'usage: generate-boatreg --rows N --out FILE [--seed 42] [--dirty 0.01] [--engines 3]\n',
    );
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const result = await generateBoatreg({
    rows,
    out,
    seed: Number(arg(argv, 'seed') ?? '42'),
    dirty: Number(arg(argv, 'dirty') ?? '0'),
    maxEngines: Number(arg(argv, 'engines') ?? '3'),
  });
  process.stderr.write(
    `wrote ${result.rows} rows, ${(result.bytes / 1048576).toFixed(1)} MiB to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

if (require.main === module) void cli(process.argv.slice(2));
