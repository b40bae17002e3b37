// SPDX-License-Identifier: MIT
// The provider's storage adapter: in memory, like oidc-provider's own
// MemoryAdapter, but it can be counted (what is live, what was issued) so the
// tests can check the provider's side of a flow — "the refresh token is gone
// after logout" — without ever being handed a token. It also remembers every
// opaque token value it stored, for the leak check (/_interop/leak-check).

const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);
// Models whose id is itself a bearer credential (an opaque token or code).
const credentials = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'ClientCredentials']);

export class Store {
  constructor() {
    this.entries = new Map(); // "Model:id" -> { payload, expiresAt (ms) }
    this.grants = new Map(); // grantId -> Set of "Model:id"
    this.index = new Map(); // "uid:..." / "userCode:..." -> id
    this.issued = {}; // Model -> count of upserts of new ids
    this.secrets = new Set(); // every credential id ever stored
    this.dpopBound = {}; // Model -> new ids stored with a dpopJkt (RFC 9449 §10: codes)
  }

  adapterFor(model) {
    const store = this;
    const key = (id) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const k = key(id);
        if (!store.entries.has(k)) {
          store.issued[model] = (store.issued[model] || 0) + 1;
          if (payload.dpopJkt) store.dpopBound[model] = (store.dpopBound[model] || 0) + 1;
        }
        if (credentials.has(model)) store.secrets.add(id);
        const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
        store.entries.set(k, { payload, expiresAt });
        if (model === 'Session' && payload.uid) store.index.set(`uid:${payload.uid}`, id);
        if (payload.userCode) store.index.set(`userCode:${payload.userCode}`, id);
        if (grantable.has(model) && payload.grantId) {
          if (!store.grants.has(payload.grantId)) store.grants.set(payload.grantId, new Set());
          store.grants.get(payload.grantId).add(k);
        }
      },
      async find(id) {
        const entry = store.entries.get(key(id));
        if (!entry) return undefined;
        if (entry.expiresAt <= Date.now()) {
          store.entries.delete(key(id));
          return undefined;
        }
        return entry.payload;
      },
      async findByUid(uid) {
        const id = store.index.get(`uid:${uid}`);
        return id === undefined ? undefined : this.find(id);
      },
      async findByUserCode(userCode) {
        const id = store.index.get(`userCode:${userCode}`);
        return id === undefined ? undefined : this.find(id);
      },
      async consume(id) {
        const entry = store.entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const k of store.grants.get(grantId) || []) store.entries.delete(k);
        store.grants.delete(grantId);
      },
    };
  }

  // Live entries per model: stored, not expired, not consumed.
  live() {
    const now = Date.now();
    const out = {};
    for (const [k, { payload, expiresAt }] of this.entries) {
      if (expiresAt <= now || payload.consumed) continue;
      const model = k.slice(0, k.indexOf(':'));
      out[model] = (out[model] || 0) + 1;
    }
    return out;
  }

  // Drops every stored access token, as an administrator revoking them would:
  // the next call with one is answered 401 invalid_token.
  dropAccessTokens() {
    let dropped = 0;
    for (const k of [...this.entries.keys()]) {
      if (k.startsWith('AccessToken:')) {
        this.entries.delete(k);
        dropped += 1;
      }
    }
    return dropped;
  }

  // Which kinds of credential occur in text (a CLI's output, a log).
  leaks(text) {
    const found = new Set();
    for (const secret of this.secrets) {
      if (secret.length >= 16 && text.includes(secret)) found.add('opaque token or code');
    }
    // Compact JWS (ID tokens, JWT access tokens): header.payload. of base64url JSON.
    if (/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./.test(text)) found.add('JWT');
    return [...found];
  }
}
