import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, PROJECT_ROOT } from '../../src/config/load';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the defaults with project-relative paths', () => {
    const config = loadConfig({}, '/tmp');
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080, trustProxy: false });
    expect(config.dataDir).toBe(path.join(PROJECT_ROOT, 'data'));
    expect(config.policyDir).toBe(path.join(PROJECT_ROOT, 'policies'));
    expect(config.demo.enabled).toBe(true);
  });

  it('applies FSG_PORT, FSG_DATA_DIR and FSG_DEMO, coercing types, paths relative to the current folder', () => {
    const config = loadConfig({ FSG_PORT: '9090', FSG_DATA_DIR: 'var/fsg', FSG_DEMO: 'false' }, '/srv');
    expect(config.server.port).toBe(9090);
    expect(config.dataDir).toBe('/srv/var/fsg');
    expect(config.demo.enabled).toBe(false);
  });

  it('reads how issuers’ key sets are fetched from auth.jwks and FSG_JWKS_*, within bounds', () => {
    expect(loadConfig({}, '/tmp').auth.jwks).toEqual({
      timeoutMs: 5000,
      cooldownMs: 30000,
      cacheMaxAgeMs: 600000,
    });
    const config = loadConfig({ FSG_JWKS_COOLDOWN_MS: '500', FSG_JWKS_CACHE_MAX_AGE_MS: '1500' }, '/tmp');
    expect(config.auth.jwks).toEqual({ timeoutMs: 5000, cooldownMs: 500, cacheMaxAgeMs: 1500 });
    expect(problemsOf(() => loadConfig({ FSG_JWKS_TIMEOUT_MS: '0' }, '/tmp')).join()).toMatch(/timeoutMs/);
  });

  it('merges the FSG_CONFIG file over the defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-config-'));
    fs.writeFileSync(path.join(dir, 'site.yaml'), 'server:\n  port: 7000\nlog:\n  level: warn\n');
    const config = loadConfig({ FSG_CONFIG: 'site.yaml' }, dir);
    expect(config.server).toMatchObject({ port: 7000, host: '127.0.0.1' });
    expect(config.log.level).toBe('warn');
  });

  it('names the key and the problem of a bad value in one line', () => {
    expect(problemsOf(() => loadConfig({ FSG_PORT: '70000' }))).toEqual(['server.port: must be <= 65535']);
    expect(problemsOf(() => loadConfig({ FSG_PORT: 'eighty' }))).toEqual(['server.port: must be integer']);
    expect(problemsOf(() => loadConfig({ FSG_LOG_LEVEL: 'loud' }))).toEqual([
      'log.level: must be one of error, warn, info, debug, silent',
    ]);
  });

  it('rejects unknown keys and unreadable files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-config-'));
    fs.writeFileSync(path.join(dir, 'typo.yaml'), 'server:\n  prot: 7000\n');
    expect(problemsOf(() => loadConfig({ FSG_CONFIG: 'typo.yaml' }, dir))).toEqual([
      'server.prot: is not a known key',
    ]);
    expect(problemsOf(() => loadConfig({ FSG_CONFIG: 'missing.yaml' }, dir))[0]).toMatch(
      /missing\.yaml: cannot be read/,
    );
  });
});
