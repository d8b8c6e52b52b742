import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  chooseChallenge,
  digestAuthorization,
  digestResponse,
  parseChallenge,
} from '../../../../src/sip/message/digest-auth.js';

// RFC 7616 3.9.1: the worked example (Mufasa / "Circle of Life").
const RFC7616 = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};
const challengeOf = (algorithm: string): string =>
  `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=${algorithm}, ` +
  `nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`;
const input = {
  username: 'Mufasa',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  cnonce: RFC7616.cnonce,
};

describe('digest credentials', () => {
  it('computes the RFC 7616 3.9.1 SHA-256 response', () => {
    const c = parseChallenge(challengeOf('SHA-256'))!;
    expect(c).toMatchObject({ algorithm: 'SHA-256', qop: 'auth', opaque: RFC7616.opaque });
    expect(digestResponse(c, input)).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('computes the RFC 7616 3.9.1 MD5 response', () => {
    const c = parseChallenge(challengeOf('MD5'))!;
    expect(digestResponse(c, input)).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('writes the whole header: quoted fields, qop/nc/cnonce, the opaque echoed', () => {
    const c = parseChallenge(challengeOf('SHA-256'))!;
    expect(digestAuthorization(c, input)).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", ' +
        `nonce="${RFC7616.nonce}", uri="/dir/index.html", ` +
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ' +
        `algorithm=SHA-256, cnonce="${RFC7616.cnonce}", qop=auth, nc=00000001, ` +
        `opaque="${RFC7616.opaque}"`,
    );
  });

  it('answers a challenge without qop in the RFC 2069 form (no cnonce, no nc)', () => {
    // RFC 2617 3.5's example values, without qop: response = MD5(HA1:nonce:HA2).
    const c = parseChallenge(
      'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
    )!;
    expect(c.algorithm).toBe('MD5');
    expect(c.qop).toBeUndefined();
    const v = digestAuthorization(c, {
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      cnonce: 'unused',
    });
    expect(v).toContain('response="670fd8c2df070c60b045671b8b24ff02"');
    expect(v).not.toContain('cnonce');
    expect(v).not.toContain('nc=');
    expect(v).not.toContain('opaque');
  });

  it('answers RFC 2617 3.5 (MD5, qop=auth) exactly', () => {
    const c = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", ' +
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    expect(
      digestResponse(c, {
        username: 'Mufasa',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('folds nonce and cnonce into HA1 for -sess', () => {
    const plain = parseChallenge(challengeOf('MD5'))!;
    const sess = parseChallenge(challengeOf('MD5-sess'))!;
    expect(sess.algorithm).toBe('MD5-sess');
    expect(digestResponse(sess, input)).not.toBe(digestResponse(plain, input));
    expect(digestResponse(sess, input)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses what it cannot answer', () => {
    expect(parseChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseChallenge('Digest nonce="n"')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", algorithm=MD5-sess')).toBeUndefined();
    expect(parseChallenge('Digest realm="r, nonce="n"')).toBeUndefined();
  });

  it('picks the strongest of several challenges', () => {
    const md5 = 'Digest realm="r", nonce="a", qop="auth", algorithm=MD5';
    const sha = 'Digest realm="r", nonce="b", qop="auth", algorithm=SHA-256';
    expect(chooseChallenge([md5, sha])?.nonce).toBe('b');
    expect(chooseChallenge([sha, md5])?.nonce).toBe('b');
    expect(chooseChallenge(['Digest realm="r", nonce="c"', md5])?.nonce).toBe('a');
    expect(chooseChallenge(['Basic realm="x"', 'Digest realm="r", nonce="d", algorithm=FOO'])).toBe(
      undefined,
    );
  });

  it('hashes the username when the challenge asks for userhash', () => {
    const c = parseChallenge(`${challengeOf('SHA-256')}, userhash=true`)!;
    const v = digestAuthorization(c, input);
    // RFC 7616 3.4.4: username = H(username ":" realm).
    const hashed = createHash('sha256').update(`Mufasa:${RFC7616.realm}`).digest('hex');
    expect(v).toContain(`username="${hashed}"`);
    expect(v).not.toContain('Mufasa');
    expect(v).toContain('userhash=true');
  });

  it('escapes quotes in quoted fields', () => {
    const c = parseChallenge('Digest realm="a \\"b\\"", nonce="n"')!;
    expect(c.realm).toBe('a "b"');
    expect(digestAuthorization(c, { ...input, cnonce: 'x' })).toContain('realm="a \\"b\\""');
  });
});
