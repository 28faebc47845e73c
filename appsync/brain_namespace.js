/**
 * The `brain` channel namespace's event handlers (AWS AppSync Events, APPSYNC_JS runtime).
 *
 * A channel is /brain/<sub>/<conversationId>: one conversation of one signed-in user, so a
 * client subscribes to its channel before it sends, and /brain/<sub>/* follows all of its own.
 * Only the functions publish (IAM); a subscriber may listen to its own channels only: any
 * channel whose user segment is not the subscriber's Cognito `sub` is refused (Unauthorized).
 *
 * CDK deploys this file as the namespace's code; the offline stack runs this same file
 * (brain_local/events/appsync_js.py).
 */
import { util } from '@aws-appsync/utils';

export function onSubscribe(ctx) {
  const segments = ctx.info.channel.segments;
  const sub = ctx.identity ? ctx.identity.sub : undefined;
  if (!sub || segments[1] !== sub) {
    util.unauthorized();
  }
}
