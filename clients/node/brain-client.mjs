// The Brain in Cup client API with the real aws-amplify client, in Node.
//
//   node --experimental-websocket brain-client.mjs CONFIG_JSON PLAN_JSON
//
// CONFIG_JSON is the aws-amplify configuration (.brain/config.json offline, the CDK stack's
// AmplifyConfig output on AWS), handed to Amplify.configure() unchanged. PLAN_JSON says what to do
// (`mode`, below). Every step prints one JSON line on stdout: {"step": ..., "t": ms since start, ...};
// tests/e2e drives it. Offline, trust the stack's CA with NODE_EXTRA_CA_CERTS=.brain/ca.pem
// (Node's fetch and WebSocket both read it); sign-in uses USER_PASSWORD_AUTH (moto has no SRP).
//
// modes:
//   converse   {user, password, conversationId, messages: [{content, clientMessageId?, times?}]}
//              sign in, subscribe to /brain/<sub>/<conversationId>, POST each message (times: the
//              same request again, as a retrying client would), wait for its reply event, then
//              read the history through the API
//   subscribe  {user, password, channel}: sign in, subscribe, report success or the error
//   history    {user, password, conversationId}: sign in, GET the conversation's messages
//   anonymous  {conversationId, content}: POST with no token (what a stranger gets)
//
// Events (brain_core/client_contracts.py; tests/unit/test_generated_contracts.py checks the fields
// read here): a chunk's messageId is the user message's; a reply is the reply item itself, its own
// messageId `<user messageId>#reply` and inReplyTo the user message's.
import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn } from 'aws-amplify/auth';
import { events } from 'aws-amplify/data';
import { get, post } from 'aws-amplify/api';

const started = Date.now();
const say = (step, fields = {}) => process.stdout.write(JSON.stringify({ step, t: Date.now() - started, ...fields }) + '\n');

const [configPath, planText] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const plan = JSON.parse(planText);
Amplify.configure(config);

async function signedIn() {
  const result = await signIn({
    username: plan.user,
    password: plan.password,
    options: { authFlowType: 'USER_PASSWORD_AUTH' },
  });
  const session = await fetchAuthSession();
  const token = session.tokens.accessToken.toString();
  const sub = session.tokens.accessToken.payload.sub;
  say('signedIn', { user: plan.user, sub, isSignedIn: result.isSignedIn });
  return { token, sub };
}

async function api(method, path, token, body) {
  const options = { headers: { Authorization: `Bearer ${token}` } };
  if (body !== undefined) options.body = body;
  try {
    const { statusCode, body: answer } = await method({ apiName: 'brain', path, options }).response;
    return { status: statusCode, body: await answer.json() };
  } catch (error) {
    const response = error.response;
    return { status: response?.statusCode, body: response?.body ? JSON.parse(response.body) : String(error) };
  }
}

async function subscribed(channelName, onEvent) {
  const channel = await events.connect(channelName);
  const subscription = channel.subscribe({
    next: (data) => onEvent(data.event), // Amplify hands on the data frame: {id, type, event}
    error: (error) => say('subscriptionError', { error: String(error?.message ?? error), errors: error?.errors }),
  });
  await subscription.ready;
  return channel;
}

async function converse() {
  const { token, sub } = await signedIn();
  const waiting = new Map(); // the user message's id -> resolve
  const seen = [];
  const channel = await subscribed(`/brain/${sub}/${plan.conversationId}`, (event) => {
    seen.push(event);
    say('event', { event });
    if (event.type === 'reply' && waiting.has(event.inReplyTo)) waiting.get(event.inReplyTo)();
  });
  say('subscribed', { channel: `/brain/${sub}/${plan.conversationId}` });
  for (const message of plan.messages) {
    const body = { content: message.content };
    if (message.clientMessageId) body.clientMessageId = message.clientMessageId;
    let messageId;
    for (let i = 0; i < (message.times ?? 1); i++) {
      const answer = await api(post, `/conversations/${plan.conversationId}/messages`, token, body);
      say('posted', answer);
      messageId = answer.body?.messageId;
    }
    if (!messageId) continue;
    if (!seen.some((e) => e.type === 'reply' && e.inReplyTo === messageId)) {
      await new Promise((resolve, reject) => {
        waiting.set(messageId, resolve);
        setTimeout(() => reject(new Error(`no reply event for ${messageId}`)), plan.timeoutMs ?? 60000);
      });
    }
    say('replied', { messageId });
  }
  say('history', await api(get, `/conversations/${plan.conversationId}/messages`, token));
  await channel.close();
}

async function subscribeOnly() {
  await signedIn();
  try {
    const channel = await subscribed(plan.channel, (event) => say('event', { event }));
    say('subscribe', { ok: true });
    await channel.close();
  } catch (error) {
    say('subscribe', { ok: false, error: String(error?.message ?? error), errors: error?.errors });
  }
}

async function history() {
  const { token } = await signedIn();
  say('history', await api(get, `/conversations/${plan.conversationId}/messages`, token));
}

async function anonymous() {
  const response = await fetch(`${config.API.REST.brain.endpoint}/conversations/${plan.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: plan.content }),
  });
  say('posted', { status: response.status, body: await response.json() });
}

const modes = { converse, subscribe: subscribeOnly, history, anonymous };
try {
  await modes[plan.mode]();
  say('done');
  process.exit(0);
} catch (error) {
  say('failed', { error: String(error?.stack ?? error) });
  process.exit(1);
}
