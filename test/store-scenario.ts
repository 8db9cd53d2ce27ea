/* Builds a store the way raslogd fills it at start: boot init → kmod replay → boot finish. */
import { BootCollector } from '../src/collectors/boot.ts';
import { KmodCollector } from '../src/collectors/kmod.ts';
import { Store } from '../src/store/store.ts';
import { T0, fakeProc, fourBoots, tempDir } from './store-fixtures.ts';

export async function startupOnce(store: Store, image: string, bootId: string): Promise<{ boot: BootCollector; kmod: KmodCollector }> {
  const boot = new BootCollector({ store, ...fakeProc(bootId, 100), regionPath: image, now: () => T0 + 400_000_000_000n });
  await boot.init();
  const kmod = new KmodCollector({ store, path: image, watch: false });
  await kmod.start();
  await kmod.stop();
  await boot.finish();
  return { boot, kmod };
}

/** A closed store in a new data dir holding the four-boot scenario. */
export async function fourBootStore(): Promise<{ dir: string; image: string }> {
  const dir = tempDir('data');
  const image = fourBoots().save();
  const store = await Store.open(dir, { create: true });
  await startupOnce(store, image, 'boot-id-4');
  await store.close();
  return { dir, image };
}
