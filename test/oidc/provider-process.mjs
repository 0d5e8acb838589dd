/**
 * A real OpenID provider (oidc-provider) for the tests, as one issuer on 127.0.0.1. It is ES modules
 * only, so it runs as a child process (`node test/oidc/provider-process.mjs`), never inside jest;
 * test/oidc/provider.ts starts and drives it.
 *
 * Configuration: JSON in the environment variable FSG_TEST_OP (see ProviderConfig in provider.ts).
 * Control over IPC: the parent sends {id, op, ...} and gets {id, ok, result | error} back:
 *   keys {keys}   – replaces the signing keys (the first one signs); sessions survive (shared memory store)
 *   jwksFetches   – how many times the JWKS has been served
 *   stop          – closes the server and exits
 * Once listening it sends {ready: {port, issuer}}.
 *
 * Sign-in: its own login page (fields login, password, optional otp: amr [pwd, otp] or [pwd]) and
 * consent given automatically, so that a browser or a headless client gets through with one form. No
 * page loads anything from elsewhere.
 */
import http from 'node:http';
import process from 'node:process';
import { URL, URLSearchParams } from 'node:url';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(process.env.FSG_TEST_OP ?? '{}');
const prefix = (config.path ?? '').replace(/\/$/, '');
let keys = config.keys;
let jwksFetches = 0;
let provider;
let handler;

const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/** The resource indicator that stands for the gateway (an absolute URI, as RFC 8707 wants). */
const gatewayResource = config.resource ?? 'urn:fsg:gateway';
const resources = {
  [gatewayResource]: { audience: config.audience, ttl: config.accessTokenTtl ?? 600 },
  ...config.resources,
};

function makeProvider(issuer) {
  const algs = [...new Set(keys.map((k) => k.alg))];
  const signingAlg = keys[0].alg;
  return new Provider(issuer, {
    clients: config.clients,
    jwks: { keys },
    cookies: { keys: ['test-provider-cookie-key'] },
    enabledJWA: {
      idTokenSigningAlgValues: [...new Set(['RS256', 'ES256', 'PS256', 'ES384', 'EdDSA', ...algs])],
    },
    // How the user signed in is part of every ID token, not a claim a client must ask for.
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'] },
    ttl: {
      // The resource's own lifetime first (getResourceServerInfo below).
      AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL ?? config.accessTokenTtl ?? 600,
      IdToken: config.idTokenTtl ?? 600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page(
            'Sign out',
            `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes" id="logout-yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
          );
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => gatewayResource,
        useGrantedResource: () => true,
        // Known resources have their audience and lifetime; any other is its own audience.
        getResourceServerInfo: (ctx, resourceIndicator) => ({
          scope: 'api',
          audience: resources[resourceIndicator]?.audience ?? resourceIndicator,
          accessTokenTTL: resources[resourceIndicator]?.ttl ?? config.accessTokenTtl ?? 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signingAlg } },
        }),
      },
    },
    async findAccount(ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub }) };
    },
    // The access token says how its user signed in, as the ID token does.
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken' || !token.sessionUid) return undefined;
      const session = await ctx.oidc.provider.Session.findByUid(token.sessionUid);
      if (!session) return undefined;
      return { amr: session.amr, ...(session.acr ? { acr: session.acr } : {}), auth_time: session.loginTs };
    },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<p id="error">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
    },
  });
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function loginForm(uid, clientId, message) {
  return page(
    'Sign in',
    `<p>Client: <span id="client">${esc(clientId)}</span></p>
${message ? `<p id="message">${esc(message)}</p>` : ''}
<form method="post" action="${prefix}/interaction/${esc(uid)}/login">
<label>User <input name="login" id="login" autocomplete="username" required></label>
<label>Password <input name="password" id="password" type="password" required></label>
<label>One-time code (optional) <input name="otp" id="otp" autocomplete="one-time-code"></label>
<button type="submit" id="sign-in">Sign in</button>
</form>`,
  );
}

/** Grants what the client asked for (scopes, claims, resources): the consent of a first-party client. */
async function consent(req, res, interaction) {
  const { details } = interaction.prompt;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({
        accountId: interaction.session.accountId,
        clientId: interaction.params.client_id,
      });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  const result = interaction.grantId ? { consent: {} } : { consent: { grantId } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interactions(req, res, rest) {
  const [uid, action] = rest.split('/').filter(Boolean).slice(1);
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) throw new errors.InvalidRequest('interaction mismatch');
  if (req.method === 'GET' && !action) {
    if (interaction.prompt.name === 'consent') return consent(req, res, interaction);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(loginForm(uid, interaction.params.client_id));
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    if (!login || !form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginForm(uid, interaction.params.client_id, 'Give a user and a password.'));
    }
    const otp = Boolean(form.get('otp'));
    const result = {
      login: { accountId: login, amr: otp ? ['pwd', 'otp'] : ['pwd'], ...(otp ? { acr: 'mfa' } : {}) },
    };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  res.writeHead(404).end();
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    if (prefix && !url.pathname.startsWith(`${prefix}/`) && url.pathname !== prefix) {
      res.writeHead(404).end();
      return;
    }
    const rest = url.pathname.slice(prefix.length) || '/';
    if (rest === '/jwks' && req.method === 'GET') jwksFetches += 1;
    if (rest.startsWith('/interaction/')) {
      await interactions(req, res, rest);
      return;
    }
    // Mounted under the issuer's path: the provider reads its mount path from originalUrl.
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length) || '/';
    handler(req, res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(err?.message ?? err));
  }
});

let issuer;

process.on('message', (msg) => {
  const reply = (result) => process.send({ id: msg.id, ok: true, result });
  try {
    switch (msg.op) {
      case 'keys':
        keys = msg.keys;
        provider = makeProvider(issuer);
        handler = provider.callback();
        reply(keys.map((k) => k.kid));
        break;
      case 'jwksFetches':
        reply(jwksFetches);
        break;
      case 'stop':
        server.closeAllConnections?.();
        server.close(() => {
          reply(true);
          process.exit(0);
        });
        break;
      default:
        process.send({ id: msg.id, ok: false, error: `unknown op ${msg.op}` });
    }
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
  }
});
// The test runner gone, nothing is left behind.
process.on('disconnect', () => process.exit(0));

server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  issuer = `http://127.0.0.1:${port}${prefix}`;
  provider = makeProvider(issuer);
  handler = provider.callback();
  process.send?.({ ready: { port, issuer } });
  if (!process.send) process.stdout.write(`${JSON.stringify({ port, issuer })}\n`);
});
