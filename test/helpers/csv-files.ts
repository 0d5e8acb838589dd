/** CSV files of issue 16 (a bad quote swallowed the rows after it), shared by its tests. */
import fs from 'node:fs';
import path from 'node:path';

const SAMPLE = path.resolve(__dirname, '../../adapters/autodealers-nl/fixtures/sample.csv');
const TOYOTA =
  '2T1BURHE8JC123456,2ZR-556677,,TY-12-34,Toyota,Corolla,white,2018,Fleur Smits,1988-12-12,6511 AB,2019-07-07,21000';

/**
 * The issue's file, for the autodealers-nl adapter: a header and five rows, the first (line 2) with
 * `"Accord"x` as its model. Without the bad quote, the five rows map to 14 records (3 of them row 1's).
 */
export function accordFile(): string {
  const lines = fs.readFileSync(SAMPLE, 'utf8').trimEnd().split('\n');
  lines[1] = lines[1]!.replace(',Accord,', ',"Accord"x,');
  return `${[...lines, TOYOTA].join('\n')}\n`;
}
