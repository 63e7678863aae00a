import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createDrivers, driverOptionSchemas, drivers } from './index.js';

/** Folders under src/drivers/ that hold shared code rather than a driver. */
const SHARED_FOLDERS = new Set(['test-support', 'shared']);

function driverFolders(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return readdirSync(here, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !SHARED_FOLDERS.has(entry.name))
    .map((entry) => entry.name)
    .sort();
}

const factoryContext = { dataDir: tmpdir(), env: {}, log: pino({ level: 'silent' }) };

describe('driver registry', () => {
  it('registers every driver folder, and nothing else', () => {
    expect(driverFolders()).toContain('command');
    expect([...drivers.keys()].sort()).toEqual(driverFolders());
  });

  it('builds each driver under its own id', () => {
    const built = createDrivers(factoryContext);
    expect([...built.keys()].sort()).toEqual([...drivers.keys()].sort());
    for (const [id, driver] of built) expect(driver.id).toBe(id);
  });

  it('exposes every option schema without a factory context, the same one the driver uses', () => {
    const schemas = driverOptionSchemas();
    const built = createDrivers(factoryContext);
    expect([...schemas.keys()].sort()).toEqual([...drivers.keys()].sort());
    for (const [id, schema] of schemas) expect(built.get(id)?.optionsSchema).toBe(schema);
  });
});
