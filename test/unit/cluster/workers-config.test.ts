import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';

const env = (over: Record<string, string>) => ({ TRUNKROUTE_WORKERS_COUNT: '2', ...over });

describe('workers.count > 1 needs what the workers share', () => {
  it('names every setting to change', () => {
    const r = loadConfig({
      env: env({ TRUNKROUTE_SIP_LISTEN: 'udp:127.0.0.1:5060,tcp:127.0.0.1:5060' }),
    });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.join('\n');
    expect(errors).toMatch(/workers\.count: 2 workers serve UDP listeners only/);
    expect(errors).toMatch(/redis\.url: workers\.count 2 needs Redis/);
    expect(errors).toMatch(/routes\.source: workers\.count 2 needs file or redis/);
  });

  it('is accepted with UDP listeners, Redis and a shared table', () => {
    const r = loadConfig({
      env: env({
        TRUNKROUTE_SIP_LISTEN: 'udp:127.0.0.1:5060',
        TRUNKROUTE_REDIS_URL: 'redis://127.0.0.1:6379',
        TRUNKROUTE_ROUTES_SOURCE: 'file',
      }),
    });
    expect(r.ok).toBe(true);
  });

  it('one worker needs none of it', () => {
    expect(loadConfig({ env: { TRUNKROUTE_WORKERS_COUNT: '1' } }).ok).toBe(true);
  });
});
