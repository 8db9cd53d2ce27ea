// raslogd inside the real kernel's guest (the host's node over 9p): replay of the region
// after a reboot, `raslog show --since boot-1`, and a power cut classified as unexpected.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepare, readRegionFromRam, CACHE } from './rig.ts';
import { runDaemonVm } from './runs.ts';
import { decodeRegion } from '../../src/region/decode.ts';

test.serial('raslogd replays boot 1 after a reboot; show --since boot-1 prints exactly it; a power cut is unexpected', async (t) => {
  t.timeout(600_000);
  const art = prepare();
  const share = fs.mkdtempSync(path.join(CACHE, 'share-daemon-')); // shared with the guest over 9p
  const { ram, first, second } = await runDaemonVm(art, share);
  const notReady = (lines: string[], log: string) =>
    t.false(lines.some((l) => l.includes('RASLOGD-NOT-READY')), fs.readFileSync(path.join(share, log), 'utf8'));
  notReady(first, 'raslogd-2.log');
  const region = decodeRegion(readRegionFromRam(ram));
  const boot1 = region.records.filter((r) => r.boot === 1);

  const jsonl = (f: string) => fs.readFileSync(path.join(share, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const kernelSeqs = (evs: any[]) => evs.filter((e) => typeof e.seq === 'number').map((e) => e.seq);
  const shown = jsonl('show-since.jsonl'); // --since boot-1 --until boot
  t.true(shown.every((e) => e.boot === 1), 'only boot 1 events');
  t.deepEqual(kernelSeqs(shown), boot1.map((r) => r.seq), 'every boot-1 record, once, in order');
  t.deepEqual(jsonl('show-b1.jsonl'), shown, '-b -1 selects the same events');
  const open = jsonl('show-open.jsonl'); // --since boot-1: boot 1, then what boot 2 has so far
  t.deepEqual(open.slice(0, shown.length), shown);
  t.true(open.slice(shown.length).every((e) => e.boot === 2));
  const death = shown.find((e) => e.type === 'process_death' && e.comm === 'sleep' && e.signal === 'SIGTERM');
  t.like(death, { cause: 'process', sender: { comm: 'kill', uid: 1000 } });
  t.regex(fs.readFileSync(path.join(share, 'show-b1.txt'), 'utf8'), /process_death sleep\[\d+\] SIGTERM from kill\[\d+\]/);

  notReady(second, 'raslogd-3.log');
  const boots = JSON.parse(fs.readFileSync(path.join(share, 'boots-3.json'), 'utf8'));
  const list: any[] = Array.isArray(boots) ? boots : boots.boots;
  t.log(JSON.stringify(list.map((b) => [b.boot ?? b.number, b.ended ?? b.end])));
  const byNo = (n: number) => list.find((b) => (b.boot ?? b.number) === n);
  t.regex(String(byNo(1)?.ended ?? byNo(1)?.end), /clean|reboot/, 'boot 1 ended with its reboot record');
  t.regex(String(byNo(2)?.ended ?? byNo(2)?.end), /unexpected/, 'boot 2 ended by a power cut');
  t.regex(fs.readFileSync(path.join(share, 'verify-3.txt'), 'utf8'), /verify rc=0/);
  fs.rmSync(share, { recursive: true, force: true });
});
