/* Child for the crash test: replays a region into a store and gets killed (SIGKILL) by the parent. */
import { readRegionImage } from '../src/region/source.ts';
import { ingestRegion } from '../src/store/ingest.ts';
import { Store } from '../src/store/store.ts';

const [dataDir, image, mode] = process.argv.slice(2) as [string, string, string];
const store = await Store.open(dataDir, { create: true, sync: mode !== 'nosync' });
const report = await readRegionImage(image);
process.stdout.write('open\n');
await ingestRegion(store, report, {
  batchSize: 50,
  onBatch: async (n) => {
    if (mode === 'pause' && n === 3) {
      process.stdout.write('batch3\n');
      await new Promise(() => undefined); // wait to be killed
    }
  },
});
process.stdout.write('done\n');
await store.close();
