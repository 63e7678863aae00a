import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../commands/usage.js';
import { MANIFEST_VERSION, teamsAppPackage, teamsManifest } from './manifest.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';

/** The package as Info-ZIP's unzip reads it: a real reader checks what was written. */
function unpack(pkg: Buffer): { test: string; read(name: string): Buffer; list: string } {
  const dir = mkdtempSync(join(tmpdir(), 'teams-pkg-'));
  const file = join(dir, 'slipway-teams.zip');
  writeFileSync(file, pkg);
  return {
    test: execFileSync('unzip', ['-t', file], { encoding: 'utf8' }),
    list: execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }),
    read: (name) => execFileSync('unzip', ['-p', file, name], { maxBuffer: 10_000_000 }),
  };
}

/** Width, height and RGBA pixels of an unfiltered 8-bit RGBA PNG (as icons.ts writes them). */
function decodePng(png: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  expect(png.subarray(24, 26)).toEqual(Buffer.from([8, 6]));
  const idat = png.indexOf('IDAT');
  const length = png.readUInt32BE(idat - 4);
  const raw = inflateSync(png.subarray(idat + 4, idat + 4 + length));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, pixels };
}

describe('the Teams app manifest', () => {
  const manifest = teamsManifest({ url: 'https://slipway.example.com/base', appId: APP_ID });

  it('declares a bot in personal, team and group chat scopes, under the current schema', () => {
    expect(manifest).toMatchObject({
      $schema: `https://developer.microsoft.com/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
      manifestVersion: MANIFEST_VERSION,
      id: APP_ID,
      icons: { color: 'color.png', outline: 'outline.png' },
      validDomains: ['slipway.example.com'],
      bots: [
        { botId: APP_ID, scopes: ['personal', 'team', 'groupChat'], isNotificationOnly: false },
      ],
    });
    expect((manifest.name as { short: string }).short.length).toBeLessThanOrEqual(30);
    expect((manifest.description as { short: string }).short.length).toBeLessThanOrEqual(80);
  });

  it('lists the chat grammar’s commands within Teams’ lengths', () => {
    const [list] =
      (
        manifest.bots as {
          commandLists: { commands: { title: string; description: string }[] }[];
        }[]
      )[0]?.commandLists ?? [];
    expect(list?.commands.map((c) => c.title)).toEqual([...COMMAND_NAMES]);
    for (const c of list?.commands ?? []) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
    }
    expect(list?.commands[0]?.description).toBe(
      'deploy <service> [<version>] [to <env>] [-- <reason>]',
    );
  });
});

describe('the app package', () => {
  const pkg = unpack(teamsAppPackage({ url: 'https://slipway.example.com', appId: APP_ID }));

  it('is a zip unzip accepts, with the manifest and icons at its root', () => {
    expect(pkg.test).toMatch(/No errors detected/);
    expect(pkg.list.trim().split('\n')).toEqual(['manifest.json', 'color.png', 'outline.png']);
    expect(JSON.parse(pkg.read('manifest.json').toString('utf8'))).toMatchObject({ id: APP_ID });
  });

  it('has a 192×192 colour icon, and a 32×32 outline icon only white or transparent', () => {
    const color = decodePng(pkg.read('color.png'));
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = decodePng(pkg.read('outline.png'));
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let opaque = 0;
    for (let i = 0; i < outline.pixels.length; i += 4) {
      expect([...outline.pixels.subarray(i, i + 3)]).toEqual([255, 255, 255]);
      if ((outline.pixels[i + 3] ?? 0) > 0) opaque++;
    }
    // The mark is drawn: neither empty nor filled.
    expect(opaque).toBeGreaterThan(32);
    expect(opaque).toBeLessThan((32 * 32) / 2);
  });
});
