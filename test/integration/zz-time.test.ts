import fs from 'node:fs';
import path from 'node:path';
import { generateBoatreg } from '../../bench/generate-boatreg';
import { createTestGateway } from '../helpers/gateway';
it('times', async () => {
  const gw = await createTestGateway();
  const bram = await gw.token('bram');
  const file = path.join(gw.dataDir, 'big.csv');
  await generateBoatreg({ rows: 6000, out: file, seed: 7 });
  const csv = fs.readFileSync(file, 'utf8');
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await gw.http.put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=replace').set('Authorization', `Bearer ${bram}`).set('Content-Type', 'text/csv').send(csv);
    console.log(r.status, r.body.records, Math.round(performance.now() - t), 'ms');
  }
  await gw.close();
}, 60000);
