import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSettings } from './settings.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const dir = mkdtempSync(join(tmpdir(), 'slipway-github-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GitHub App settings', () => {
  it('reads the app id, its private key from a file, and the installation id', () => {
    const file = join(dir, 'app.pem');
    writeFileSync(file, PEM);
    const settings = readSettings({
      GITHUB_APP_ID: '123456',
      GITHUB_APP_PRIVATE_KEY_FILE: file,
      GITHUB_APP_INSTALLATION_ID: '98765',
    });
    expect(settings.integrations.githubApp).toEqual({
      appId: '123456',
      privateKey: PEM.trim(),
      installationId: '98765',
    });
    expect(readSettings({}).integrations.githubApp).toBeUndefined();
  });

  it('takes a key whose line breaks were written as \\n in one variable', () => {
    const settings = readSettings({
      GITHUB_APP_ID: 'Iv1.8a61f9b3a7aba766',
      GITHUB_APP_PRIVATE_KEY: PEM.trim().replaceAll('\n', '\\n'),
      GITHUB_APP_INSTALLATION_ID: '98765',
    });
    expect(settings.integrations.githubApp?.privateKey).toBe(PEM.trim());
  });

  it('says which of the three is missing or wrong, and where to find it', () => {
    const all = {
      GITHUB_APP_ID: '123456',
      GITHUB_APP_PRIVATE_KEY: PEM,
      GITHUB_APP_INSTALLATION_ID: '98765',
    };
    expect(() => readSettings({ ...all, GITHUB_APP_ID: '' })).toThrow(
      /GITHUB_APP_ID is not set: copy the App ID/,
    );
    expect(() => readSettings({ ...all, GITHUB_APP_ID: 'my-app' })).toThrow(
      /GITHUB_APP_ID is "my-app": give the app's numeric App ID/,
    );
    expect(() => readSettings({ ...all, GITHUB_APP_PRIVATE_KEY: '' })).toThrow(
      /GITHUB_APP_PRIVATE_KEY is not set: generate a private key/,
    );
    expect(() => readSettings({ ...all, GITHUB_APP_INSTALLATION_ID: '' })).toThrow(
      /GITHUB_APP_INSTALLATION_ID is not set/,
    );
    expect(() => readSettings({ ...all, GITHUB_APP_INSTALLATION_ID: 'acme' })).toThrow(
      /GITHUB_APP_INSTALLATION_ID is "acme"/,
    );
    expect(() => readSettings({ ...all, GITHUB_APP_PRIVATE_KEY: 'not a key' })).toThrow(
      /GITHUB_APP_PRIVATE_KEY cannot be read as a private key/,
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => readSettings({ ...all, GITHUB_APP_PRIVATE_KEY: ec })).toThrow(
      /GITHUB_APP_PRIVATE_KEY is a ec key: GitHub Apps sign with RSA/,
    );
  });
});
