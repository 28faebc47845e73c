/**
 * The pushed stream: one AppSync Events subscription to `/<namespace>/<sub>/*`, every conversation
 * of the signed-in person (the namespace's onSubscribe allows one's own channels only).
 *
 * One wildcard subscription rather than one per conversation: it is open before the first message
 * of a new conversation is sent, and switching conversations costs no subscribe round trip.
 * aws-amplify reconnects and subscribes again by itself after a dropped socket; events published
 * meanwhile are lost to this client, so `onReconnected` tells the page to catch up from the API.
 */

import { CONNECTION_STATE_CHANGE, ConnectionState, events } from 'aws-amplify/api';
import { Hub } from 'aws-amplify/utils';

import { readEvent, type StreamEvent } from './contracts';

export interface LiveHandlers {
  onEvent: (event: StreamEvent) => void;
  onReconnected: () => void;
  onProblem: (message: string) => void;
}

type Channel = Awaited<ReturnType<typeof events.connect>>;

export class LiveStream {
  readonly channel: string;
  readonly ready: Promise<void>;
  private connection: Channel | null = null;
  private stopListening: () => void = () => undefined;
  private disrupted = false;
  private closed = false;

  constructor(namespace: string, sub: string, handlers: LiveHandlers) {
    this.channel = `/${namespace}/${sub}/*`;
    this.stopListening = Hub.listen('api', ({ payload }) => {
      if (payload.event !== CONNECTION_STATE_CHANGE) return;
      const state = (payload.data as { connectionState?: string } | undefined)?.connectionState;
      if (state === ConnectionState.ConnectionDisrupted || state === ConnectionState.ConnectionDisruptedPendingNetwork) {
        this.disrupted = true;
      } else if (state === ConnectionState.Connected && this.disrupted) {
        this.disrupted = false;
        handlers.onReconnected();
      }
    });
    this.ready = this.open(handlers);
  }

  private async open(handlers: LiveHandlers): Promise<void> {
    try {
      this.connection = await events.connect(this.channel);
      if (this.closed) {
        await this.connection.close();
        return;
      }
      const subscription = this.connection.subscribe({
        next: (data: { event?: unknown }) => {
          const event = readEvent(data?.event);
          if (event) handlers.onEvent(event);
        },
        error: (error: unknown) => handlers.onProblem(liveProblem(error)),
      });
      await subscription.ready;
    } catch (error) {
      handlers.onProblem(liveProblem(error));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    if (this.connection) await this.connection.close();
    this.connection = null;
  }
}

function liveProblem(error: unknown): string {
  const errors = (error as { errors?: { message?: string; errorType?: string }[] })?.errors;
  const detail = errors?.map((e) => e.message || e.errorType).join('; ') || (error as Error)?.message || String(error);
  return `Live updates are unavailable (${detail}); replies still arrive, a little later.`;
}
