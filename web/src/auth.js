// Sign-in with Cognito's managed login: authorization code + PKCE through oidc-client-ts (no hand-written OAuth).
import { UserManager, WebStorageStateStore } from "oidc-client-ts";

/**
 * The app's one UserManager. The redirect and sign-out URL is the app's own origin (the distribution URL on
 * AWS): Cognito's app client lists exactly that URL.
 *
 * Cognito's /logout is not OIDC RP-initiated logout: it takes client_id and logout_uri, not
 * post_logout_redirect_uri, and its discovery document has no end_session_endpoint
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html). So the endpoint is seeded
 * into the metadata and the two parameters are passed as extra query parameters.
 */
export function createAuth(config, location = window.location) {
  const appUrl = `${location.origin}/`;
  const manager = new UserManager({
    authority: config.oidcAuthority,
    client_id: config.clientId,
    redirect_uri: appUrl,
    response_type: "code",
    scope: "openid email profile",
    metadataSeed: { end_session_endpoint: `${config.cognitoDomain}/logout` },
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: false,
    loadUserInfo: false,
  });
  return {
    manager,
    /** The signed-in user (or null); completes a sign-in when the page is Cognito's redirect back. */
    async currentUser() {
      const params = new URLSearchParams(location.search);
      if (params.has("code") && params.has("state")) {
        const user = await manager.signinRedirectCallback();
        window.history.replaceState({}, document.title, location.pathname + location.hash);
        return user;
      }
      if (params.has("error")) {
        window.history.replaceState({}, document.title, location.pathname + location.hash);
        throw new Error(`sign-in failed: ${params.get("error_description") || params.get("error")}`);
      }
      const user = await manager.getUser();
      return user && !user.expired ? user : null;
    },
    signIn: () => manager.signinRedirect(),
    /** Forget the tokens here, then end the managed-login session at Cognito's /logout. */
    async signOut() {
      await manager.removeUser();
      await manager.signoutRedirect({ extraQueryParams: { client_id: config.clientId, logout_uri: appUrl } });
    },
  };
}
