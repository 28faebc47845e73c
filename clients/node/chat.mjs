// A chat client in a few lines with aws-amplify (the README's example; tests/e2e runs it):
//   NODE_EXTRA_CA_CERTS=.brain/ca.pem node --experimental-websocket clients/node/chat.mjs .brain/config.json "Hello, brain!"
// On AWS: the stack's AmplifyConfig output as the config file, a user of its pool, no CA.
import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn } from 'aws-amplify/auth';
import { events } from 'aws-amplify/data';
import { post } from 'aws-amplify/api';

const [configFile, text, user = 'ada', password = 'Brain-in-a-jar-1'] = process.argv.slice(2);
Amplify.configure(JSON.parse(readFileSync(configFile, 'utf8')));
await signIn({ username: user, password, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
const { tokens } = await fetchAuthSession();
const conversationId = `chat-${Date.now()}`;

// Subscribe first, to this conversation's channel, then send.
const channel = await events.connect(`/brain/${tokens.accessToken.payload.sub}/${conversationId}`);
const done = new Promise((resolve) => {
  channel.subscribe({
    next: ({ event }) => {
      if (event.type === 'chunk') process.stdout.write(event.text);
      if (event.type === 'reply') resolve(event);
    },
  }).ready.then(() =>
    post({
      apiName: 'brain',
      path: `/conversations/${conversationId}/messages`,
      options: { headers: { Authorization: `Bearer ${tokens.accessToken}` }, body: { content: text } },
    }).response,
  );
});
const reply = await done;
console.log(`\n  emotion ${reply.emotion.label}, thoughts: ${reply.thoughts.join(' / ')}`);
await channel.close();
process.exit(0);
