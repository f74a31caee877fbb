// A real OpenID Connect provider for the sign-in test: `oidc-provider` (npm, MIT), with one
// client (Caseline), people whose `groups` claim maps to a role, and its development login
// and consent pages, which a browser fills in (any password is accepted).
// Usage: PORT=… REDIRECT_URI=http://127.0.0.1:…/signin/callback node tests/oidc/provider.mjs
// Prints "oidc provider listening on <issuer>" once it answers. Only for tests: it keeps
// everything in memory and signs with its development keys.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
// `localhost`, not 127.0.0.1: another site than Caseline's, as a council's provider is, so
// the browser's SameSite rules are the ones a deployment meets.
const issuer = `http://localhost:${port}`;

const people = {
  ann: { sub: 'ann', name: 'Ann Auditor', groups: ['staff', 'caseline-auditors'] },
  ian: { sub: 'ian', name: 'Ian Inspector', groups: ['caseline-inspectors'] },
  sam: { sub: 'sam', name: 'Sam Nobody', groups: ['staff'] },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'caseline',
      client_secret: process.env.CLIENT_SECRET || 'caseline-test-secret',
      redirect_uris: [process.env.REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups'],
  // The claims asked for go into the ID token itself, as most councils' providers do; the
  // userinfo fallback in Caseline covers the others.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['caseline-test-cookie-key'] },
  async findAccount(ctx, id) {
    const person = people[id] || { sub: id, name: id, groups: [] };
    return {
      accountId: id,
      async claims(use) {
        // Ian's provider, like many, releases his groups and name only from userinfo, not in
        // the ID token: Caseline must ask there.
        if (id === 'ian' && use === 'id_token') return { sub: person.sub };
        return person;
      },
    };
  },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc provider listening on ${issuer}`);
});
