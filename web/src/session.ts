/**
 * The page's configuration and who is signed in (aws-amplify v6 Auth against the Cognito pool).
 *
 * `/config.json` is the aws-amplify configuration (`Auth`, `API`: what `brain up` writes to
 * `.brain/config.json` and what the CDK stack outputs as `AmplifyConfig`) plus a `web` section for
 * this page alone, written by whoever serves it: the sign-in flow (`USER_SRP_AUTH` on AWS, the
 * user pool's default; `USER_PASSWORD_AUTH` offline, where moto has no SRP), the channel namespace
 * and the longest message the API takes. The page itself never asks where it runs.
 */

import { Amplify, type ResourcesConfig } from 'aws-amplify';
import { fetchAuthSession, getCurrentUser, signIn, signOut } from 'aws-amplify/auth';

export type SignInFlow = 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH';

export interface WebSettings {
  signInFlow: SignInFlow;
  eventsNamespace: string;
  maxContentChars: number;
}

export interface PageConfig {
  amplify: ResourcesConfig;
  web: WebSettings;
}

export interface Identity {
  username: string;
  sub: string;
}

const DEFAULTS: WebSettings = { signInFlow: 'USER_SRP_AUTH', eventsNamespace: 'brain', maxContentChars: 4000 };

/** Read `/config.json` and configure Amplify with its `Auth` and `API` parts, unchanged. */
export async function configure(url = 'config.json'): Promise<PageConfig> {
  let raw: unknown;
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    raw = await response.json();
  } catch (error) {
    throw new Error(`The page's configuration (${url}) could not be read: ${String(error)}`);
  }
  const { web, ...amplify } = (raw ?? {}) as ResourcesConfig & { web?: Partial<WebSettings> };
  if (!amplify.Auth?.Cognito?.userPoolId || !amplify.API?.REST?.brain || !amplify.API?.Events?.endpoint) {
    throw new Error(`${url} is not a Brain in Cup configuration (Auth.Cognito, API.REST.brain, API.Events)`);
  }
  Amplify.configure(amplify);
  const settings: WebSettings = { ...DEFAULTS, ...(web ?? {}) };
  if (settings.signInFlow !== 'USER_PASSWORD_AUTH') settings.signInFlow = 'USER_SRP_AUTH';
  return { amplify, web: settings };
}

/** Who is signed in (Amplify keeps the tokens across reloads), or null. */
export async function currentIdentity(): Promise<Identity | null> {
  try {
    const user = await getCurrentUser();
    return { username: user.username, sub: user.userId };
  } catch {
    return null;
  }
}

export async function signInAs(username: string, password: string, flow: SignInFlow): Promise<Identity> {
  const result = await signIn({ username, password, options: { authFlowType: flow } });
  if (!result.isSignedIn) {
    throw new Error(
      `This account needs a step this page does not offer (${result.nextStep.signInStep}): finish it elsewhere, then sign in here.`,
    );
  }
  const identity = await currentIdentity();
  if (!identity) throw new Error('Signed in, but no session was kept: are cookies and storage allowed for this page?');
  return identity;
}

export async function signOutNow(): Promise<void> {
  await signOut();
}

/** The access token for the API and the channel (Amplify refreshes it when it is about to expire). */
export async function accessToken(): Promise<string> {
  const session = await fetchAuthSession();
  const token = session.tokens?.accessToken?.toString();
  if (!token) throw new SignedOut();
  return token;
}

export class SignedOut extends Error {
  constructor() {
    super('You are signed out: sign in again.');
    this.name = 'SignedOut';
  }
}

/** What to tell a person whose sign-in failed. */
export function signInProblem(error: unknown): string {
  const name = (error as { name?: string })?.name;
  // Cognito says NotAuthorizedException for a wrong password and, where the pool hides which
  // users exist (the CDK stack's client does), for an unknown user too; moto says UserNotFound.
  if (name === 'NotAuthorizedException' || name === 'UserNotFoundException') {
    return 'Wrong user name or password.';
  }
  if (name === 'EmptySignInUsername' || name === 'EmptySignInPassword') return 'Enter your user name and password.';
  if (name === 'NetworkError') return 'The sign-in service could not be reached: check the connection and try again.';
  const message = (error as { message?: string })?.message;
  return `Sign-in failed: ${message || String(error)}`;
}
